package charlm.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import charlm.data.TokenSequence;
import charlm.io.Checkpoint;
import charlm.io.Safetensors;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import charlm.train.LocalSgd;
import charlm.train.LocalSgdTest;
import charlm.train.RoundClock;
import charlm.train.TrainerState;
import charlm.train.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Local SGD's rounds on an embedded Spark (local[2]: two tasks at once in this JVM): the exactness test
 * of the issue against its oracle (one process with the workers' streams side by side), the same bits
 * as the workers run in this process, train --spark end to end, and its bad input.
 */
class SparkRoundsTest {
    @TempDir
    Path tmp;

    @Test
    void twoWorkersOnSparkAtOneStepARoundAreOneProcessWithTheirStreamsSideBySide() {
        Settings s = LocalSgdTest.exactSettings();
        int[] tokens = LocalSgdTest.tokens();
        try (Workers w = new Workers(1)) {
            RnnModel spark = LocalSgdTest.trainWith(s, tokens, w, job -> new SparkRounds().connect("local[2]", job));
            RnnModel oracle = LocalSgdTest.sideBySide(s, tokens, w);
            RnnModel here = LocalSgdTest.trainWith(s, tokens, w, job -> LocalSgd.inProcess(job, Kernels.get(), w));
            assertThat(LocalSgdTest.worstRelativeDifference(spark.params, oracle.params)).isLessThan(1e-5);
            // The driver sums in worker order, whichever task finished first: the same bits as in this process.
            assertThat(spark.params.data).isEqualTo(here.params.data);
        }
    }

    /**
     * The round's clock travels with each task: a round of a time-limited run on Spark has the bits of the same round
     * in this process, at the rates the clock gives (not those of the steps alone).
     */
    @Test
    void aRoundOnSparkTakesTheRatesOfItsClockWithTheBitsOfOneInThisProcess() {
        Settings s = LocalSgdTest.exactSettings().with(TrainingSettings.MAX_STEPS, 0).with(TrainingSettings.EPOCHS, 3)
                .with(TrainingSettings.SYNC_EVERY, 4).with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.OPTIMIZER, "adam")
                .with(TrainingSettings.LR, 0.01);
        LocalSgd.Job job = new LocalSgd.Job(s, LocalSgdTest.VOCAB, TokenSequence.of(LocalSgdTest.tokens()));
        RoundClock clock = new RoundClock(0.3, 0.1);
        List<TrainerState> first = Arrays.asList(null, null);
        try (Workers w = new Workers(1);
             LocalSgd.Engine spark = new SparkRounds().connect("local[2]", job);
             LocalSgd.Engine here = LocalSgd.inProcess(job, Kernels.get(), w)) {
            RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, LocalSgdTest.VOCAB), Kernels.get(), w);
            TrainingSettings.initialize(m, s, new Rng(s.get(TrainingSettings.SEED)));
            float[] params = m.params.data;
            List<LocalSgd.WorkerResult> a = spark.round(params, 4, clock, first), b = here.round(params, 4, clock, first);
            List<LocalSgd.WorkerResult> bySteps = here.round(params, 4, RoundClock.NONE, first);
            // the last of the 4 steps at 0.3 + 3 x 0.1 of the budget, far ahead of its 4 of 102 steps
            double expected = 0.01 * 0.5 * (1 + Math.cos(Math.PI * 0.6));
            for (int k = 0; k < 2; k++) {
                assertThat(a.get(k).delta()).as("worker %d", k).isEqualTo(b.get(k).delta()).isNotEqualTo(bySteps.get(k).delta());
                assertThat(a.get(k).lastRate()).isEqualTo(b.get(k).lastRate()).isCloseTo(expected, within(1e-12));
            }
        }
    }

    private List<String> trainArgs(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data", SharedData.textFile(tmp).toString(), "--max-tokens", "6000", "--epochs", "2", "--batch-size", "8",
                "--num-steps", "10", "--hiddens", "16", "--val-fraction", "0.1", "--optimizer", "adam", "--lr", "0.01", "--workers", "2",
                "--sync-every", "7", "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    /** With the text held in memory (sent to the executors once) and read from its token cache (mapped by each executor). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void trainOnSparkWritesTheRunsFilesAndEndsWithTheBitsOfTheSameRunInThisProcess(boolean tokenCache) throws Exception {
        Path onSpark = tmp.resolve("spark"), here = tmp.resolve("here");
        String[] cache = tokenCache ? new String[] {"--token-cache", tmp.resolve("cache").toString()} : new String[0];
        List<String> spark = trainArgs(onSpark, "--spark", "local[2]");
        spark.addAll(List.of(cache));
        SparkSweepTest.Result r = SparkSweepTest.run(spark.toArray(String[]::new)).ok();
        assertThat(r.out()).contains("2 workers on Spark local[2]")
                .contains(tokenCache ? "each executor reads its shards from " + tmp.resolve("cache") : "the training text sent to each executor once");
        SparkSweepTest.run(trainArgs(here, cache).toArray(String[]::new)).ok();
        for (String f : List.of("config.json", "metrics.csv", "steps.csv", "model.safetensors", "best.safetensors")) {
            assertThat(onSpark.resolve(f)).exists();
        }
        assertThat(Files.readAllLines(onSpark.resolve("metrics.csv"))).hasSize(3);
        try (Workers w = new Workers(1)) {
            float[] a = Checkpoint.load(onSpark.resolve("model.safetensors"), Kernels.get(), w).model().params.data;
            float[] b = Checkpoint.load(here.resolve("model.safetensors"), Kernels.get(), w).model().params.data;
            assertThat(a).isEqualTo(b);
        }
    }

    /** The driver stopped after 3 of 6 epochs and resumed on Spark: the outer velocity, every worker's state and place are in the checkpoint. */
    @Test
    void aSparkRunResumedHalfwayEndsWithTheBitsOfTheRunThatNeverStopped() throws Exception {
        Path whole = tmp.resolve("whole"), half = tmp.resolve("half");
        String data = SharedData.textFile(tmp).toString();
        for (Path out : List.of(whole, half)) {
            SparkSweepTest.run("train", "--data", data, "--max-tokens", "6000", "--epochs", out == whole ? "6" : "3", "--checkpoint-every", "3",
                    "--batch-size", "8", "--num-steps", "10", "--hiddens", "16", "--val-fraction", "0.1", "--optimizer", "adam", "--lr", "0.01",
                    "--dropout", "0.1", "--workers", "2", "--sync-every", "7", "--outer-optimizer", "nesterov", "--spark", "local[2]",
                    "--out", out.toString()).ok();
        }
        assertThat(SparkSweepTest.run("train", "--resume", half.toString(), "--epochs", "6", "--spark", "local[2]").ok().out())
                .contains("resuming at epoch 3").contains("2 workers on Spark local[2]");
        Safetensors.Contents x = Safetensors.read(whole.resolve("model.safetensors")), y = Safetensors.read(half.resolve("model.safetensors"));
        assertThat(y.tensors().keySet()).isEqualTo(x.tensors().keySet()).contains("opt.outer_velocity.W_hh", "w0.opt.m.W_hh", "w1.opt.v.W_hh");
        for (String name : x.tensors().keySet()) {
            assertThat(y.tensors().get(name).values()).as(name).containsExactly(x.tensors().get(name).values());
        }
        assertThat(y.metadata().get("rng_state")).isEqualTo(x.metadata().get("rng_state"));
    }

    @Test
    void badSparkInputIsOneLineAndWritesNothing() {
        Path out = tmp.resolve("never");
        SparkSweepTest.run(trainArgs(out, "--spark", "lokal[2]").toArray(String[]::new)).refused("not a Spark master URL");
        SparkSweepTest.run(trainArgs(out, "--spark", "spark://127.0.0.1:1").toArray(String[]::new)).refused("cannot reach the Spark master");
        List<String> oneWorker = trainArgs(out, "--spark", "local[2]");
        int i = oneWorker.indexOf("--workers");
        oneWorker.subList(i, i + 4).clear(); // no --workers, no --sync-every
        SparkSweepTest.run(oneWorker.toArray(String[]::new)).refused("add --workers N");
        assertThat(out).doesNotExist();
    }
}
