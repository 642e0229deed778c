package charlm.spark;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Safetensors;
import charlm.testing.Launcher;
import charlm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's executor JVM killed in the middle of a round of `train --spark local-cluster[2,1,1024] --workers 2`,
 * through the launcher on the jars `mvn package` built: Spark runs the lost task again on the other executor, the run
 * says so, and it ends with the bits of the same run whose workers ran in one process, never interrupted.
 *
 * <p>local-cluster starts real executor processes, which Spark launches from a Spark installation (SPARK_HOME, its
 * jars folder and RELEASE file); the test makes one from the jars Maven resolved (target/spark-classpath.txt) and
 * charlm-spark's own jar, as docs/cluster.md tells a user to. The kill is the test-only system property
 * charlm.test.haltWorker=R:K (read on the driver; worker K's first attempt in round R halts its JVM with 137).
 */
class SparkWorkerFaultIT {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aWorkerKilledInARoundIsRunAgainAndTheRunEndsWithTheSameBits() throws Exception {
        Path sparkHome = sparkHome(Path.of("target/it-sparkhome").toAbsolutePath());
        Path data = SharedData.textFile(tmp);
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        Path faulted = tmp.resolve("faulted"), here = tmp.resolve("here");

        ProcessBuilder spark = Launcher.builder(java, train(data, faulted, "--spark", "local-cluster[2,1,1024]"));
        spark.environment().put("SPARK_HOME", sparkHome.toString());
        spark.environment().put("SPARK_SCALA_VERSION", "2.13");
        spark.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        spark.environment().put("JAVA_OPTS", "-Dcharlm.test.haltWorker=2:1");
        Process p = spark.start();
        CompletableFuture<String> out = Launcher.drain(p.getInputStream()), err = Launcher.drain(p.getErrorStream());
        try {
            assertThat(p.waitFor(8, TimeUnit.MINUTES)).as("the local-cluster run finished").isTrue();
        } finally {
            Launcher.forceStop(p);
        }
        assertThat(p.exitValue()).as("exit code; stdout:%n%s%nstderr:%n%s", out.get(), err.get()).isZero();
        assertThat(out.get()).contains("2 workers on Spark local-cluster[2,1,1024]").contains("each executor reads its shards from").contains("1 worker's round was run again after a lost task");

        Launcher.run(java, train(data, here));
        Safetensors.Contents a = Safetensors.read(faulted.resolve("model.safetensors")), b = Safetensors.read(here.resolve("model.safetensors"));
        assertThat(a.tensors().keySet()).isEqualTo(b.tensors().keySet()).contains("opt.outer_velocity.W_hh", "w1.opt.m.W_hh");
        for (String name : b.tensors().keySet()) {
            assertThat(a.tensors().get(name).values()).as(name).containsExactly(b.tensors().get(name).values());
        }
    }

    /**
     * Four rounds of two workers, Adam inside and DiLoCo's Nesterov outside (so the checkpoint's
     * outer velocity is not zero), a round of 5 steps; the text read
     * through its token cache, which each executor process maps for itself.
     */
    private static String[] train(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--max-tokens", "6000", "--max-steps", "20",
                "--batch-size", "8", "--num-steps", "10", "--hiddens", "16", "--val-fraction", "0.1", "--optimizer", "adam", "--lr", "0.01",
                "--workers", "2", "--sync-every", "5", "--outer-optimizer", "nesterov", "--threads", "1", "--token-cache", out.resolveSibling("cache").toString(),
                "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** A Spark installation as local-cluster needs one: RELEASE, and jars/ holding Spark's jars and charlm-spark's. */
    private static Path sparkHome(Path home) throws Exception {
        // In target/, not the test's temporary folder: JUnit warns about every link it deletes that points outside it.
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark from charlm-spark's Maven class path, for a test\n");
        Path target = Path.of("target").toAbsolutePath();
        List<Path> all = new ArrayList<>();
        for (String jar : Files.readString(target.resolve("spark-classpath.txt")).trim().split(java.io.File.pathSeparator)) all.add(Path.of(jar));
        all.add(target.resolve("charlm-spark.jar"));
        for (Path jar : all) {
            assertThat(jar).as("a jar of the class path").isRegularFile();
            Path link = jars.resolve(jar.getFileName());
            if (!Files.exists(link)) Files.createSymbolicLink(link, jar);
        }
        return home;
    }
}
