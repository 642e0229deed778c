package charlm.run;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Safetensors;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import charlm.train.CheckpointInterval;
import charlm.train.Sampling;
import charlm.train.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --checkpoint-every in steps: a checkpoint written in the middle of an epoch (by steps, as a run on a
 * text whose epoch takes hours writes them) resumes bit for bit, schedule position included.
 */
class StepCheckpointTest {
    @TempDir
    Path dir;

    private Settings settings(Sampling sampling) {
        // About 56 minibatches an epoch: steps 15 and 30 fall inside the first.
        return TrainingSettings.validate(TrainingSettings.book().with(TrainingSettings.DATA, SharedData.textFile(dir))
                .with(TrainingSettings.HIDDENS, 24).with(TrainingSettings.BATCH_SIZE, 4).with(TrainingSettings.NUM_STEPS, 6)
                .with(TrainingSettings.MAX_TOKENS, 1500).with(TrainingSettings.VAL_FRACTION, 0.1).with(TrainingSettings.EVAL_EVERY, 10)
                .with(TrainingSettings.SAMPLING, sampling).with(TrainingSettings.OPTIMIZER, "adam").with(TrainingSettings.LR, 0.01)
                .with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.WARMUP_STEPS, 5).with(TrainingSettings.DROPOUT, 0.1)
                .with(TrainingSettings.MAX_STEPS, 40).with(TrainingSettings.CHECKPOINT_EVERY, CheckpointInterval.parse("15steps"))
                .with(TrainingSettings.THREADS, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random"})
    void aRunResumedFromACheckpointInsideAnEpochEqualsTheRunThatNeverStopped(String variant) throws Exception {
        Settings s = settings(Sampling.valueOf(variant.toUpperCase(java.util.Locale.ROOT)));
        TrainingData data = TrainingData.load(s);
        Path whole = dir.resolve("whole"), copy = dir.resolve("copy");
        List<Long> checkpointSteps = new ArrayList<>();
        try (KernelsAndThreads compute = KernelsAndThreads.create(1); RunDirectory out = RunDirectory.prepare(whole, true)) {
            TrainingRun run = TrainingRun.start(s, data, compute);
            TrainingRun.OnCheckpoint keepTheFirst = epoch -> {
                checkpointSteps.add(run.trainer().step());
                assertThat(epoch).as("inside the first epoch").isZero();
                if (checkpointSteps.size() > 1) return;
                Files.createDirectories(copy);
                for (String f : new String[] {RunDirectory.MODEL, RunDirectory.CONFIG, RunDirectory.STEPS}) {
                    Files.copy(whole.resolve(f), copy.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            };
            run.train(new TrainingRun.Output(out, "whole", p -> { }, keepTheFirst, true), e -> { });
        }
        assertThat(checkpointSteps).containsExactly(15L, 30L);

        try (KernelsAndThreads compute = KernelsAndThreads.create(1)) {
            TrainingRun resumed = TrainingRun.resume(copy.resolve(RunDirectory.MODEL), s, data, compute);
            assertThat(resumed.trainer().step()).isEqualTo(15);
            try (RunDirectory out = RunDirectory.resume(copy, resumed.trainer().epochsDone(), resumed.trainer().step())) {
                resumed.train(new TrainingRun.Output(out, "resumed", p -> { }, TrainingRun.OnCheckpoint.NONE, true), e -> { });
            }
        }
        Safetensors.Contents x = Safetensors.read(whole.resolve(RunDirectory.MODEL)), y = Safetensors.read(copy.resolve(RunDirectory.MODEL));
        assertThat(y.tensors().keySet()).isEqualTo(x.tensors().keySet());
        for (String name : x.tensors().keySet()) {
            assertThat(y.tensors().get(name).values()).as(name).containsExactly(x.tensors().get(name).values());
        }
        assertThat(y.metadata().get("rng_state")).isEqualTo(x.metadata().get("rng_state"));
        assertThat(scores(copy)).hasSize(4).isEqualTo(scores(whole));
    }

    /** steps.csv without its timings: step, held-out perplexity and whether it was the best. */
    private static List<String> scores(Path run) throws Exception {
        return RunDirectory.readSteps(run.resolve(RunDirectory.STEPS)).stream().map(e -> e.step() + "," + e.valPerplexity() + "," + e.best()).toList();
    }
}
