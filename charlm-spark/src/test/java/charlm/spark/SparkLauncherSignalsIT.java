package charlm.spark;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.testing.Launcher;
import charlm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `./charlm sweep --spark` through the launcher, on the jars `mvn package` built, once per JDK 17+ on this
 * machine: a SIGTERM to the launcher's process id reaches the JVM that runs Spark, and the same command run
 * again continues the trial it interrupted from its checkpoint. That a resumed trial ends bit for bit as an
 * uninterrupted one is SparkSweepTest's; this leaves it out.
 */
class SparkLauncherSignalsIT {
    private static final Path book = SharedData.book();

    @TempDir
    Path tmp;

    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void sigtermStopsASparkSweepThatTheSameCommandContinues(Path java) throws Exception {
        Path out = tmp.resolve("sweep");
        String[] sweep = {"sweep", "--data", book.toString(), "--max-tokens", "3000", "--hiddens", "32", "--lr", "0.5,1", "--epochs", "100",
                "--checkpoint-every", "1", "--spark", "local[1]", "--out", out.toString()};
        Process p = Launcher.start(java, sweep);
        try {
            CompletableFuture<String> said = Launcher.drain(p.getInputStream()), err = Launcher.drain(p.getErrorStream());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!aTrialCheckpointed(out) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(p.isAlive()).as("still sweeping after a trial's first checkpoint; stdout:%n%s", p.isAlive() ? "" : said.get()).isTrue();
            // The launcher's process is the JVM itself, with Spark in it, not a shell waiting for it.
            assertThat(p.info().command()).hasValue(java.toString());

            Launcher.signal("TERM", p);
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("the sweep stopped on SIGTERM").isTrue();
            assertThat(p.exitValue()).as("exit code; stdout:%n%s%nstderr:%n%s", said.get(), err.get()).isEqualTo(143);
        } finally {
            Launcher.forceStop(p);
        }
        assertThat(out.resolve("sweep.csv")).doesNotExist();

        String again = Launcher.run(java, sweep);
        assertThat(again).contains("(resumed from epoch").contains("wrote " + out.resolve("sweep.csv"));
        assertThat(Files.readAllLines(out.resolve("sweep.csv"))).as("header and two trials").hasSize(3);
    }

    /** Whether some trial of the sweep has written its first checkpoint. */
    private static boolean aTrialCheckpointed(Path sweep) throws Exception {
        if (!Files.isDirectory(sweep)) return false;
        try (Stream<Path> s = Files.list(sweep)) {
            return s.anyMatch(trial -> Files.isRegularFile(trial.resolve("model.safetensors")));
        }
    }
}
