package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import charlm.CharlmException;
import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.TokenSequence;
import charlm.data.Tokenizer;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules, held-out scoring inside epochs, the ways a run stops, and resuming from inside an epoch. */
class TrainingRecipesTest {
    @TempDir
    Path dir;
    Corpus corpus;
    int[] train, validation;

    @BeforeEach
    void data() {
        corpus = Corpus.load(SharedData.textFile(dir), Tokenizer.LETTERS, 4_000);
        train = Arrays.copyOf(corpus.tokens(), 3_600);
        validation = Arrays.copyOfRange(corpus.tokens(), 3_600, 4_000);
    }

    private static Settings small() {
        return TrainingSettings.book().with(TrainingSettings.HIDDENS, 24).with(TrainingSettings.BATCH_SIZE, 8)
                .with(TrainingSettings.NUM_STEPS, 10).with(TrainingSettings.VAL_FRACTION, 0.1).with(TrainingSettings.SEED, 3L);
    }

    private Trainer trainer(Settings s, Workers w) {
        RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, corpus.vocab().size()), Kernels.get(), w);
        Rng rng = new Rng(s.get(TrainingSettings.SEED));
        TrainingSettings.initialize(m, s, rng);
        return new Trainer(m, s, train, validation, rng);
    }

    @Test
    void schedulesGiveTheirRates() {
        Settings s = TrainingSettings.book().with(TrainingSettings.LR, 2.0);
        LearningRate constant = Schedules.create(s);
        assertThat(constant.at(1, 0, 1)).isEqualTo(2.0);
        assertThat(constant.at(1000, 1, 9)).isEqualTo(2.0);
        LearningRate cosine = Schedules.create(s.with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.MIN_LR, 0.2));
        assertThat(cosine.at(1, 0, 1)).isEqualTo(2.0);
        assertThat(cosine.at(50, 0.5, 1)).isCloseTo(1.1, within(1e-12));
        assertThat(cosine.at(100, 1, 1)).isCloseTo(0.2, within(1e-12));
        LearningRate warm = Schedules.create(s.with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.WARMUP_STEPS, 4));
        assertThat(warm.at(1, 0, 1)).isEqualTo(0.5);
        assertThat(warm.at(3, 0, 1)).isEqualTo(1.5);
        assertThat(warm.at(4, 0, 1)).isEqualTo(2.0);
        assertThat(warm.at(5, 0.5, 1)).isCloseTo(1.0, within(1e-12));
        LearningRate step = Schedules.create(s.with(TrainingSettings.LR_SCHEDULE, "step").with(TrainingSettings.LR_DECAY, 0.5)
                .with(TrainingSettings.LR_DECAY_EVERY, 2));
        assertThat(step.at(1, 0, 1)).isEqualTo(2.0);
        assertThat(step.at(1, 0, 2)).isEqualTo(2.0);
        assertThat(step.at(1, 0, 3)).isEqualTo(1.0);
        assertThat(step.at(1, 0, 6)).isEqualTo(0.5);
    }

    @Test
    void theCosineScheduleRunsOverTheWholeRunAndTheRatesReachTheOptimizer() {
        List<Double> rates = new ArrayList<>();
        Settings s = small().with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.MAX_STEPS, 20).with(TrainingSettings.MIN_LR, 0.1);
        try (Workers w = Workers.serial()) {
            Trainer t = trainer(s, w);
            assertThat(t.run(new TrainingListener() {
                @Override
                public void onEpoch(EpochStats stats) {
                }

                @Override
                public void onMinibatch(Progress p) {
                    rates.add(p.lr());
                }
            })).isEqualTo(Trainer.Stop.MAX_STEPS);
            assertThat(t.step()).isEqualTo(20);
        }
        assertThat(rates).hasSize(20);
        assertThat(rates.get(0)).isCloseTo(1.0, within(0.01));
        assertThat(rates.get(19)).isCloseTo(0.1, within(1e-12));
        for (int i = 1; i < rates.size(); i++) assertThat(rates.get(i)).isLessThan(rates.get(i - 1));
    }

    @Test
    void evalEveryScoresInsideEpochsAndTracksTheBest() {
        List<Evaluation> scores = new ArrayList<>();
        List<EpochStats> epochs = new ArrayList<>();
        Settings s = small().with(TrainingSettings.EVAL_EVERY, 5).with(TrainingSettings.EPOCHS, 3).with(TrainingSettings.OPTIMIZER, "adam")
                .with(TrainingSettings.LR, 0.01);
        try (Workers w = Workers.serial()) {
            Trainer t = trainer(s, w);
            t.run(new TrainingListener() {
                @Override
                public void onEpoch(EpochStats stats) {
                    epochs.add(stats);
                }

                @Override
                public void onEvaluation(Evaluation e) {
                    scores.add(e);
                }
            });
            double best = scores.stream().mapToDouble(Evaluation::valPerplexity).min().orElseThrow();
            assertThat(t.bestValidation()).isEqualTo(best);
            // the last score is the model as it ends: the library's own evaluation of it
            assertThat(scores.get(scores.size() - 1).valPerplexity()).isEqualTo(Evaluator.perplexity(t.model(), validation));
        }
        int perEpoch = (train.length - 1) / 8 / 10; // minibatches of an epoch at offset 0; an offset may cost one
        assertThat(scores.size()).isGreaterThanOrEqualTo(3 * (perEpoch - 1) / 5 + 3 - 1);
        assertThat(scores.stream().filter(e -> e.epochs() != Math.rint(e.epochs())).count()).as("inside epochs").isPositive();
        for (int i = 0; i < scores.size(); i++) {
            double bestBefore = scores.subList(0, i).stream().mapToDouble(Evaluation::valPerplexity).min().orElse(Double.POSITIVE_INFINITY);
            assertThat(scores.get(i).best()).as("score %d", i).isEqualTo(scores.get(i).valPerplexity() < bestBefore);
        }
        for (EpochStats e : epochs) assertThat(e.valPerplexity()).isIn(scores.stream().map(Evaluation::valPerplexity).toList());
    }

    @Test
    void patienceStopsAfterThatManyScoresWithoutANewBest() {
        List<Evaluation> scores = new ArrayList<>();
        // A rate far too high for Adam: the held-out score soon stops improving.
        Settings s = small().with(TrainingSettings.EVAL_EVERY, 2).with(TrainingSettings.EPOCHS, 50).with(TrainingSettings.PATIENCE, 3)
                .with(TrainingSettings.OPTIMIZER, "adam").with(TrainingSettings.LR, 0.3);
        try (Workers w = Workers.serial()) {
            assertThat(trainer(s, w).run(new TrainingListener() {
                @Override
                public void onEpoch(EpochStats stats) {
                }

                @Override
                public void onEvaluation(Evaluation e) {
                    scores.add(e);
                }
            })).isEqualTo(Trainer.Stop.PATIENCE);
        }
        List<Evaluation> last = scores.subList(scores.size() - 3, scores.size());
        assertThat(last).noneMatch(Evaluation::best);
        assertThat(scores.get(scores.size() - 4).best()).isTrue();
    }

    @Test
    void aTimeLimitStopsTheRunInTime() {
        Settings s = small().with(TrainingSettings.EPOCHS, 100_000).with(TrainingSettings.TIME_LIMIT, Duration.ofSeconds(5))
                .with(TrainingSettings.LR_SCHEDULE, "cosine");
        long t0 = System.nanoTime();
        try (Workers w = Workers.serial()) {
            Trainer t = trainer(s, w);
            t.countTimeFrom(t0);
            assertThat(t.run(e -> { })).isEqualTo(Trainer.Stop.TIME_LIMIT);
            assertThat(t.step()).isPositive();
        }
        // the limit keeps back the final evaluation and a margin for the files
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
    }

    /** The reliability issue's case: no clipping at lr 1000. It stops before any epoch reports an infinite perplexity. */
    @Test
    void aRunWhosePerplexityWouldBeInfiniteStopsBeforeAnEpochSaysSo() {
        Settings s = small().with(TrainingSettings.CLIP, Double.POSITIVE_INFINITY).with(TrainingSettings.LR, 1000.0)
                .with(TrainingSettings.HIDDENS, 64).with(TrainingSettings.EPOCHS, 5).with(TrainingSettings.VAL_FRACTION, 0.0);
        List<Double> perplexities = new ArrayList<>();
        try (Workers w = Workers.serial()) {
            RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, corpus.vocab().size()), Kernels.get(), w);
            Rng rng = new Rng(1);
            m.initialize(rng);
            Trainer t = new Trainer(m, s, train, null, rng);
            assertThatThrownBy(() -> t.run(e -> perplexities.add(e.perplexity()))).isInstanceOf(CharlmException.class)
                    .hasMessageContaining("diverged in epoch").hasMessageContaining("--clip")
                    .satisfies(e -> assertThat(((CharlmException) e).exitCode()).isEqualTo(3));
        }
        assertThat(perplexities).allSatisfy(p -> assertThat(p).isFinite());
    }

    @Test
    void aLossRisingFarAboveAUniformGuessIsADivergedRun() {
        Settings s = small().with(TrainingSettings.CLIP, Double.POSITIVE_INFINITY).with(TrainingSettings.LR, 60.0)
                .with(TrainingSettings.EPOCHS, 200).with(TrainingSettings.VAL_FRACTION, 0.0);
        try (Workers w = Workers.serial()) {
            RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, corpus.vocab().size()), Kernels.get(), w);
            Rng rng = new Rng(1);
            m.initialize(rng);
            Trainer t = new Trainer(m, s, train, null, rng);
            assertThatThrownBy(() -> t.run(e -> { })).isInstanceOf(CharlmException.class).hasMessageContaining("diverged in epoch")
                    .hasMessageContaining("minibatch").hasMessageContaining("--lr")
                    .satisfies(e -> assertThat(((CharlmException) e).exitCode()).isEqualTo(3));
        }
    }

    /**
     * A run stopped inside an epoch (Ctrl-C, a time limit) and resumed from its checkpoint equals the run
     * that never stopped, bit for bit: Adam's moments, the schedule's position, the carried state, the
     * epoch's draws and running loss all come back.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rnn", "lstm"})
    void aRunResumedFromInsideAnEpochEqualsTheRunThatNeverStopped(String cell) throws Exception {
        Settings s = small().with(TrainingSettings.EPOCHS, 3).with(TrainingSettings.OPTIMIZER, "adam").with(TrainingSettings.LR, 0.01)
                .with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.WARMUP_STEPS, 5).with(TrainingSettings.EVAL_EVERY, 4)
                .with(TrainingSettings.DROPOUT, 0.2).with(TrainingSettings.CELL, cell).with(TrainingSettings.LAYERS, 2)
                .with(TrainingSettings.INIT, "orthogonal").with(TrainingSettings.INPUT, charlm.model.InputKind.EMBEDDING);
        List<String> whole = new ArrayList<>();
        float[] wholeParams;
        try (Workers w = new Workers(2)) {
            Trainer t = trainer(s, w);
            t.run(recorder(whole, null));
            wholeParams = t.model().params.data.clone();
        }
        List<String> parts = new ArrayList<>();
        Path ckpt = dir.resolve("stopped.safetensors");
        try (Workers w = new Workers(2)) {
            Trainer t = trainer(s, w);
            assertThat(t.run(recorder(parts, t))).isEqualTo(Trainer.Stop.INTERRUPTED);
            assertThat(t.step()).isEqualTo(13);
            assertThat(t.state().batchInEpoch()).as("stopped inside an epoch").isPositive();
            Checkpoint.save(ckpt, t.model(), corpus.vocab(), s, t.state());
        }
        try (Workers w = Workers.serial()) {
            Checkpoint.Loaded loaded = Checkpoint.load(ckpt, Kernels.get(), w);
            Trainer t = Trainer.resume(loaded.model(), loaded.settings(), TokenSequence.of(train), TokenSequence.of(validation), loaded.training());
            t.run(recorder(parts, null));
            assertThat(parts).isEqualTo(whole);
            assertThat(Arrays.equals(t.model().params.data, wholeParams)).as("parameters bit for bit").isTrue();
        }
    }

    /** Records every event as text; with stopAt given, asks it to stop after step 13. */
    private static TrainingListener recorder(List<String> log, Trainer stopAt) {
        return new TrainingListener() {
            @Override
            public void onEpoch(EpochStats e) {
                log.add("epoch " + e.epoch() + " " + e.perplexity() + " " + e.valPerplexity());
            }

            @Override
            public void onMinibatch(Progress p) {
                log.add("step " + p.step() + " " + p.loss() + " " + p.lr());
                if (stopAt != null && p.step() == 13) stopAt.requestStop();
            }

            @Override
            public void onEvaluation(Evaluation e) {
                log.add("eval " + e.step() + " " + e.valPerplexity() + " " + e.best());
            }
        };
    }
}
