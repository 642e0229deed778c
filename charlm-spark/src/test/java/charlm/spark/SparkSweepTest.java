package charlm.spark;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.cli.Main;
import charlm.testing.SharedData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep on an embedded Spark (local mode, in this JVM) against the plain sweep of the same grid:
 * the same trials, metrics and ranking; a trial whose first attempt fails after a checkpoint is retried
 * from it and ends as if it had never failed; and bad input is one line and exit 2.
 */
class SparkSweepTest {
    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    record Result(int code, String out, String err) {
        Result ok() {
            assertThat(code).as("exit code; stdout: %s; stderr: %s", out, err).isZero();
            return this;
        }

        /** Bad input: exit 2 and one line on stderr, without a stack trace. */
        void refused(String... mentions) {
            assertThat(code).as("exit code; stderr: %s", err).isEqualTo(2);
            List<String> lines = err.lines().toList();
            assertThat(lines).as("stderr lines").hasSize(1);
            assertThat(lines.get(0)).doesNotContain("Exception").doesNotContain("at charlm.");
            for (String m : mentions) assertThat(lines.get(0)).containsIgnoringCase(m);
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(args, o, e);
        }
        return new Result(code, out.toString(), err.toString());
    }

    /** Four tiny trials, single-threaded (the sweep's default), fixed seed. */
    static String[] grid(String out, String... more) {
        return grid(book, out, more);
    }

    static String[] grid(Path data, String out, String... more) {
        List<String> args = new ArrayList<>(List.of("sweep", "--data", data.toString(), "--max-tokens", "2000", "--epochs", "3", "--batch-size", "4",
                "--num-steps", "5", "--hiddens", "8,16", "--lr", "0.5,1", "--seed", "5", "--out", out));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    static final List<String> TRIALS = List.of("hiddens-8_lr-0.5", "hiddens-8_lr-1", "hiddens-16_lr-0.5", "hiddens-16_lr-1");

    /** sweep.csv without its clock columns (tokens/s, seconds), in rank order. */
    static List<String> rankedRows(Path dir) throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("sweep.csv"))) {
            String[] f = line.split(",", -1);
            rows.add(String.join(",", f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[9]));
        }
        return rows;
    }

    /** metrics.csv without its tokens/s column. */
    static List<String> perplexities(Path trial) throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(trial.resolve("metrics.csv"))) {
            String[] f = line.split(",");
            rows.add(f[0] + "," + f[1] + "," + f[3]);
        }
        return rows;
    }

    static List<String> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void aLocalSparkSweepEqualsThePlainSweep() throws IOException {
        Path plain = tmp.resolve("plain"), spark = tmp.resolve("spark");
        run(grid(plain.toString())).ok();
        // The text named relative to the working directory, as people type it; executors find it all the same.
        Path relative = Path.of("").toAbsolutePath().relativize(book);
        Result r = run(grid(relative, spark.toString(), "--spark", "local[2]")).ok();
        assertThat(r.out()).contains("sweep of 4 trials on Spark local[2]").contains("4 trials to run as 4 tasks of 1 cpu each");
        for (String t : TRIALS) assertThat(r.out()).contains("trial " + t + ": train");

        assertThat(rankedRows(spark)).hasSize(5).isEqualTo(rankedRows(plain));
        assertThat(Files.readString(spark.resolve("sweep.json"))).isEqualTo(Files.readString(plain.resolve("sweep.json")));
        for (String t : TRIALS) assertThat(perplexities(spark.resolve(t))).as(t).isEqualTo(perplexities(plain.resolve(t)));
        assertThat(temporaries(spark)).isEmpty();

        // Run again: everything is done, Spark is not even started.
        Result again = run(grid(spark.toString(), "--spark", "local[2]")).ok();
        assertThat(again.out().lines().filter(l -> l.endsWith("done before, skipped")).count()).isEqualTo(4);
        assertThat(again.out()).doesNotContain("tasks of");
    }

    @Test
    void aTrialThatFailsAfterItsCheckpointIsRetriedFromItAndEndsAsIfItNeverFailed() throws IOException {
        Path whole = tmp.resolve("whole"), faulty = tmp.resolve("faulty");
        run(grid(whole.toString(), "--checkpoint-every", "1")).ok();

        // On a Hadoop file system (the local disk under another scheme): staged trials, uploads, renames.
        String uri = StagedLocalFileSystem.SCHEME + "://" + faulty;
        long stagingBefore = stagingFolders();
        Result r;
        System.setProperty(SparkSweep.FAULT_PROPERTY, "hiddens-16_lr-0.5");
        try {
            r = run(grid(uri, "--checkpoint-every", "1", "--spark", "local[2,2]")).ok();
        } finally {
            System.clearProperty(SparkSweep.FAULT_PROPERTY);
        }
        assertThat(r.out()).contains("trial hiddens-16_lr-0.5: attempt 1 failed on executor driver: java.lang.IllegalStateException: fault injected")
                .contains("(resumed from epoch 1) [executor driver, attempt 2]")
                .contains("wrote " + uri + "/sweep.csv");

        assertThat(rankedRows(faulty)).hasSize(5).isEqualTo(rankedRows(whole));
        for (String t : TRIALS) {
            assertThat(perplexities(faulty.resolve(t))).as(t).isEqualTo(perplexities(whole.resolve(t)));
            assertThat(Files.readAllBytes(faulty.resolve(t).resolve("model.safetensors"))).as("%s's final checkpoint", t)
                    .isEqualTo(Files.readAllBytes(whole.resolve(t).resolve("model.safetensors")));
        }
        assertThat(temporaries(faulty)).as("partial files in the sweep folder").isEmpty();
        assertThat(stagingFolders()).as("local staging folders left behind").isEqualTo(stagingBefore);

        // The same folder through the job-array way: --collect reads it over Hadoop too.
        Result collected = run("sweep", "--collect", "--out", uri).ok();
        assertThat(collected.out()).doesNotContain("missing");
        assertThat(rankedRows(faulty)).isEqualTo(rankedRows(whole));
    }

    private static long stagingFolders() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("charlm-trial-")).count();
        }
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws IOException {
        run(grid(tmp.resolve("a").toString(), "--spark", "local[x")).refused("--spark local[x", "not a Spark master URL");
        run(grid(tmp.resolve("b").toString(), "--spark", "mesos://host:5050")).refused("not a Spark master URL");
        run(grid(tmp.resolve("c").toString(), "--spark", "local[2]", "--threads", "0")).refused("--threads 0");
        run(grid("nosuchfs://host/sweeps/x", "--spark", "local[2]")).refused("nosuchfs://host/sweeps/x");
        run(grid("hdfs://127.0.0.1:1/sweeps/x", "--spark", "local[2]")).refused("hdfs://127.0.0.1:1/sweeps/x", "Connection refused");
        Path blocker = Files.writeString(tmp.resolve("blocker"), "x");
        run(grid(blocker.resolve("sweep").toString(), "--spark", "local[2]")).refused("--out", "blocker");
        run(grid(StagedLocalFileSystem.SCHEME + "://" + blocker.resolve("sweep"), "--spark", "local[2]")).refused("--out", "blocker");
        run("sweep", "--collect", "--out", StagedLocalFileSystem.SCHEME + "://" + tmp.resolve("none")).refused("holds no sweep");
        assertThat(tmp.resolve("a")).doesNotExist();
        // Found by an executor, not by the driver: reported once, not retried (it would fail the same way).
        run("sweep", "--data", book.toString(), "--max-tokens", "300", "--epochs", "1", "--batch-size", "8,16", "--num-steps", "20",
                "--hiddens", "8", "--out", tmp.resolve("short").toString(), "--spark", "local[2,3]").refused("too short for one minibatch");
    }
}
