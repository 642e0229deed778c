package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import charlm.CharlmException;
import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.testing.Fixtures;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    Path dir;

    private record Run(RnnModel model, List<EpochStats> epochs) {
    }

    private Run train(Corpus corpus, int hiddens, Settings config, int threads) {
        return train(corpus, ModelConfig.chapter(corpus.vocab().size(), hiddens), config, threads);
    }

    private Run train(Corpus corpus, ModelConfig model, Settings config, int threads) {
        try (Workers workers = new Workers(threads)) {
            RnnModel m = new RnnModel(model, Kernels.get(), workers);
            Rng rng = new Rng(config.get(TrainingSettings.SEED));
            m.initialize(rng);
            List<EpochStats> epochs = new ArrayList<>();
            new Trainer(m, config, corpus.tokens(), null, rng).run(epochs::add);
            return new Run(m, epochs);
        }
    }

    /** The book's settings with a few changed. */
    static Settings settings(int batch, int steps, int epochs, Double clip, Sampling sampling, boolean detach, long seed) {
        return TrainingSettings.book().with(TrainingSettings.BATCH_SIZE, batch).with(TrainingSettings.NUM_STEPS, steps)
                .with(TrainingSettings.EPOCHS, epochs).with(TrainingSettings.CLIP, clip).with(TrainingSettings.SAMPLING, sampling)
                .with(TrainingSettings.DETACH, detach).with(TrainingSettings.SEED, seed);
    }

    @Test
    void twentyEpochsOfTheBookConfigLandWithinTenPercentOfTheReference() {
        Corpus corpus = Corpus.load(SharedData.requireTimeMachine(), Tokenizer.LETTERS, 10_000);
        Run run = train(corpus, 512, TrainingSettings.book().with(TrainingSettings.EPOCHS, 20), 2);
        double reference = Fixtures.number("book20.train.perplexity"); // about 10.7
        assertThat(run.epochs()).hasSize(20);
        assertThat(run.epochs().get(19).perplexity()).isCloseTo(reference, within(0.1 * reference));
        assertThat(run.epochs().get(0).perplexity()).isGreaterThan(run.epochs().get(19).perplexity() * 1.5);
    }

    @Test
    void everySamplingSchemeLearns() {
        Corpus corpus = Corpus.load(SharedData.textFile(dir), Tokenizer.LETTERS, 10_000);
        for (Sampling s : Sampling.values()) {
            Run run = train(corpus, 64, settings(16, 20, 15, Double.valueOf(1.0), s, true, 3), 1);
            double first = run.epochs().get(0).perplexity(), last = run.epochs().get(14).perplexity();
            assertThat(last).as(s.name()).isLessThan(first * 0.8);
            assertThat(run.epochs().get(14).tokensPerSec()).isPositive();
        }
        Run noDetach = train(corpus, 64, settings(16, 20, 15, Double.valueOf(1.0), Sampling.SEQUENTIAL, false, 3), 1);
        assertThat(noDetach.epochs().get(14).perplexity()).isLessThan(noDetach.epochs().get(0).perplexity() * 0.8);
    }

    @Test
    void sameSeedGivesBitIdenticalRunsWhateverTheThreadCount() {
        Corpus corpus = Corpus.load(SharedData.textFile(dir), Tokenizer.LETTERS, 5_000);
        Settings c = settings(32, 35, 3, Double.valueOf(1.0), Sampling.RANDOM, true, 9);
        Run a = train(corpus, 96, c, 2), b = train(corpus, 96, c, 2), one = train(corpus, 96, c, 1);
        assertThat(b.model().params.data).containsExactly(a.model().params.data);
        assertThat(one.model().params.data).containsExactly(a.model().params.data);
        for (int e = 0; e < 3; e++) assertThat(one.epochs().get(e).perplexity()).isEqualTo(a.epochs().get(e).perplexity());
        Run other = train(corpus, 96, settings(32, 35, 3, Double.valueOf(1.0), Sampling.RANDOM, true, 10), 2);
        assertThat(other.model().params.data).isNotEqualTo(a.model().params.data);
    }

    @Test
    void aDivergingRunStopsAtOnceNamingTheEpochAndKeepsTheLastGoodWeights() {
        Corpus corpus = Corpus.load(SharedData.textFile(dir), Tokenizer.LETTERS, 5_000);
        // ReLU with a recurrent matrix of spectral radius ≈ 50 and no clipping: the state grows ~50× per
        // step and overflows float within the first minibatch of 40 steps.
        ModelConfig relu = new ModelConfig(corpus.vocab().size(), 64, charlm.model.Activation.RELU, charlm.model.InputKind.ONEHOT, 0);
        Settings wild = settings(16, 40, 5, Double.POSITIVE_INFINITY, Sampling.SEQUENTIAL, true, 1).with(TrainingSettings.ACTIVATION, charlm.model.Activation.RELU);
        try (Workers workers = Workers.serial()) {
            RnnModel m = new RnnModel(relu, Kernels.get(), workers);
            Rng rng = new Rng(1);
            m.initialize(rng);
            var whh = m.params.tensor("W_hh");
            for (int i = 0; i < whh.size(); i++) m.params.data[whh.offset() + i] = (float) (rng.nextGaussian() * 50 / Math.sqrt(64));
            float[] before = m.params.data.clone();
            Trainer t = new Trainer(m, wild, corpus.tokens(), null, rng);
            assertThatThrownBy(() -> t.run(s -> { })).isInstanceOf(CharlmException.class)
                    .hasMessageContaining("diverged in epoch 1").hasMessageContaining("--clip").hasMessageContaining("--lr")
                    .satisfies(e -> assertThat(((CharlmException) e).exitCode()).isEqualTo(3));
            assertThat(m.params.data).as("no update from a non-finite gradient").containsExactly(before);
        }
    }
}
