package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.run.RunDirectory;
import charlm.sweep.SweepFolder;
import charlm.sweep.SweepPlan;
import charlm.sweep.SweepTables;
import charlm.sweep.SweepTrial;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep without a cluster: --list-trials, one process per --trial-index into a shared folder, then
 * --collect; and a trial that stops after a checkpoint resumes from it, bit for bit.
 */
class SweepJobArrayTest {
    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    /** Four tiny trials: two sizes by two rates, one thread each, the default seed. */
    static String[] grid(Path out, String... more) {
        String[] base = {"sweep", "--data", book.toString(), "--max-tokens", "2000", "--epochs", "3", "--batch-size", "4", "--num-steps", "5",
                "--hiddens", "8,16", "--lr", "0.5,1", "--out", out.toString()};
        return Cli.concat(base, more);
    }

    /** The columns of sweep.csv that do not depend on the clock: trial, settings, perplexities, best epoch, status. */
    static List<String> rankedRows(Path dir) throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(SweepTables.CSV))) {
            String[] f = line.split(",", -1);
            // trial,hiddens,lr,train,val,best_val,best_epoch,tokens_per_sec,seconds,status
            rows.add(String.join(",", f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[9]));
        }
        return rows;
    }

    /** metrics.csv without the tokens/s column. */
    static List<String> perplexities(Path trial) throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(trial.resolve(RunDirectory.METRICS))) {
            String[] f = line.split(",");
            rows.add(f[0] + "," + f[1] + "," + f[3]);
        }
        return rows;
    }

    @Test
    void trialIndexForEveryTrialThenCollectEqualsTheLocalSweep() throws IOException {
        Path local = tmp.resolve("local"), array = tmp.resolve("array");
        Cli.run(grid(local)).ok();

        List<String> listed = Cli.run(grid(array, "--list-trials")).ok().outLines();
        assertThat(listed).containsExactly("0\thiddens-8_lr-0.5\t--hiddens 8 --lr 0.5", "1\thiddens-8_lr-1\t--hiddens 8 --lr 1",
                "2\thiddens-16_lr-0.5\t--hiddens 16 --lr 0.5", "3\thiddens-16_lr-1\t--hiddens 16 --lr 1");
        assertThat(array).as("--list-trials writes nothing").doesNotExist();

        // The array's tasks in any order; one of them runs twice (a retried array task) and skips.
        for (int i : new int[] {2, 0, 3}) Cli.run(grid(array, "--trial-index", Integer.toString(i))).ok();
        Cli.Result partial = Cli.run("sweep", "--collect", "--out", array.toString()).ok();
        assertThat(partial.out()).contains("missing 1 of 4 trials").contains("1 hiddens-8_lr-1");
        Cli.run(grid(array, "--trial-index", "1")).ok();
        assertThat(Cli.run(grid(array, "--trial-index", "1")).ok().out()).contains("done before, skipped");

        Cli.Result collected = Cli.run("sweep", "--collect", "--out", array.toString()).ok();
        assertThat(collected.out()).doesNotContain("missing");
        assertThat(rankedRows(array)).isEqualTo(rankedRows(local));
        assertThat(Files.readAllLines(array.resolve(SweepTables.CSV))).hasSize(5);
        for (String trial : List.of("hiddens-8_lr-0.5", "hiddens-16_lr-1")) {
            assertThat(perplexities(array.resolve(trial))).isEqualTo(perplexities(local.resolve(trial)));
        }
        // --collect with the grid given checks it against the folder's
        Cli.run(grid(array, "--collect")).ok();
        Cli.run(Cli.concat(grid(array, "--collect"), "--seed", "3")).refused("different sweep");
    }

    @Test
    void aTrialStoppedAfterItsCheckpointResumesFromItAndEndsAsIfNeverStopped() throws IOException {
        Path whole = tmp.resolve("whole"), stopped = tmp.resolve("stopped");
        Cli.run(grid(whole, "--checkpoint-every", "1")).ok();

        // The same grid, its first trial interrupted right after the checkpoint of epoch 2.
        String gridJson = Files.readString(whole.resolve(SweepFolder.GRID));
        SweepFolder folder = SweepFolder.of(stopped.toString());
        SweepFolder.prepare(folder, gridJson);
        SweepPlan.Trial first = SweepPlan.of(SweepPlan.Grid.parse(gridJson, "sweep.json")).trials().get(0);
        SweepTrial.AfterCheckpoint interrupt = (t, epoch) -> {
            if (epoch == 2) throw new IllegalStateException("interrupted for the test");
        };
        assertThatThrownBy(() -> SweepTrial.run(first, folder, new SweepTrial.Corpora(), interrupt)).hasMessageContaining("interrupted for the test");
        Path trial = stopped.resolve(first.name());
        assertThat(trial.resolve(RunDirectory.MODEL)).exists();
        assertThat(trial.resolve(SweepTrial.RESULT)).doesNotExist();

        Cli.Result again = Cli.run(grid(stopped, "--checkpoint-every", "1")).ok();
        assertThat(again.out()).contains("trial " + first.name() + ": train").contains("(resumed from epoch 2)");
        assertThat(rankedRows(stopped)).isEqualTo(rankedRows(whole));
        assertThat(perplexities(trial)).isEqualTo(perplexities(whole.resolve(first.name())));
        assertThat(Files.readAllBytes(trial.resolve(RunDirectory.MODEL))).as("the final checkpoint, bit for bit")
                .isEqualTo(Files.readAllBytes(whole.resolve(first.name()).resolve(RunDirectory.MODEL)));
        try (Stream<Path> files = Files.walk(stopped)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void withoutCheckpointsATrialWritesNoModel() throws IOException {
        Path out = tmp.resolve("plain");
        Cli.run(grid(out, "--hiddens", "8", "--lr", "1")).ok();
        assertThat(out.resolve("trial").resolve(SweepTrial.RESULT)).exists();
        assertThat(out.resolve("trial").resolve(RunDirectory.MODEL)).doesNotExist();
    }

    @Test
    void badJobArrayInputIsRefusedAndNothingWrittenIsLost() throws IOException {
        Path out = tmp.resolve("sweep");
        Cli.run(grid(out, "--trial-index", "0")).ok();
        Map<String, byte[]> before = Cli.snapshot(out);

        Cli.run(grid(out, "--trial-index", "4")).refused("--trial-index 4", "out of range", "0 to 3");
        Cli.run(grid(out, "--trial-index", "-1")).refused("--trial-index -1", "out of range");
        String[] noOut = grid(out);
        Cli.run(Cli.concat(java.util.Arrays.copyOfRange(noOut, 0, noOut.length - 2), "--trial-index", "1")).refused("--trial-index", "--out");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Cli.run("sweep", "--collect", "--out", empty.toString()).refused("holds no sweep");
        Cli.run("sweep", "--collect", "--out", tmp.resolve("nowhere").toString()).refused("holds no sweep");
        Cli.run("sweep", "--collect").refused("--collect", "--out");
        Cli.run(grid(out, "--collect", "--trial-index", "1")).refused("only one");
        Cli.run(grid(out, "--spark", "local[2]")).refused("--spark", "charlm-spark");
        Cli.run(grid(out, "--list-trials", "--spark", "local[2]")).refused("only one");
        Cli.assertUnchanged(out, before);

        // A URI with another scheme needs Hadoop, which comes with charlm-spark.
        String[] hdfs = grid(tmp.resolve("unused"));
        hdfs[hdfs.length - 1] = "hdfs://namenode:8020/sweeps/x";
        Cli.run(hdfs).refused("hdfs://", "--spark");
        // A folder under a regular file cannot be made.
        Path blocker = Files.writeString(tmp.resolve("blocker"), "x");
        Cli.run(grid(blocker.resolve("sweep"))).refused("--out", "blocker");
    }
}
