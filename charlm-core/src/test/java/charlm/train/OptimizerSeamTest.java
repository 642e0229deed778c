package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new optimizer is one class plus one registration: {@link MomentumSgd}, registered here, becomes a
 * value of --optimizer, trains, keeps its velocity in the checkpoint and resumes bit for bit.
 */
class OptimizerSeamTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void register() {
        Optimizers.register("momentum", (settings, params, workers) -> new MomentumSgd(params, workers, 0.9f));
    }

    private static Settings settings(int epochs) {
        return TrainingSettings.book().with(TrainingSettings.OPTIMIZER, "momentum").with(TrainingSettings.LR, 0.1)
                .with(TrainingSettings.HIDDENS, 32).with(TrainingSettings.BATCH_SIZE, 8).with(TrainingSettings.NUM_STEPS, 10)
                .with(TrainingSettings.EPOCHS, epochs).with(TrainingSettings.SEED, 5L);
    }

    @Test
    void aRegisteredOptimizerTrainsCheckpointsAndResumesExactly() throws Exception {
        assertThat(TrainingSettings.OPTIMIZER.parse("momentum")).isEqualTo("momentum");
        Corpus corpus = Corpus.load(SharedData.textFile(dir), Tokenizer.LETTERS, 3_000);
        int v = corpus.vocab().size();

        RnnModel whole;
        double[] wholePerplexity = new double[4];
        try (Workers w = new Workers(2)) {
            whole = new RnnModel(TrainingSettings.modelConfig(settings(4), v), Kernels.get(), w);
            Rng rng = new Rng(5);
            whole.initialize(rng);
            Trainer t = new Trainer(whole, settings(4), corpus.tokens(), null, rng);
            assertThat(t.optimizer()).isInstanceOf(MomentumSgd.class);
            t.run(s -> wholePerplexity[s.epoch() - 1] = s.perplexity());
            assertThat(wholePerplexity[3]).isLessThan(wholePerplexity[0]);
            assertThat(t.optimizer().state().get("velocity")).as("the velocity moved").isNotEqualTo(new float[whole.params.size()]);
        }

        Path ckpt = dir.resolve("half.safetensors");
        try (Workers w = new Workers(2)) {
            RnnModel m = new RnnModel(TrainingSettings.modelConfig(settings(2), v), Kernels.get(), w);
            Rng rng = new Rng(5);
            m.initialize(rng);
            Trainer t = new Trainer(m, settings(2), corpus.tokens(), null, rng);
            t.run(s -> assertThat(s.perplexity()).isEqualTo(wholePerplexity[s.epoch() - 1]));
            Checkpoint.save(ckpt, m, corpus.vocab(), settings(2), t.state());
        }
        try (Workers w = new Workers(1)) {
            Checkpoint.Loaded loaded = Checkpoint.load(ckpt, Kernels.get(), w);
            assertThat(loaded.training().optimizer()).containsOnlyKeys("velocity");
            Trainer t = Trainer.resume(loaded.model(), loaded.settings().with(TrainingSettings.EPOCHS, 4), TokenSequence.of(corpus.tokens()), null, loaded.training());
            t.run(s -> assertThat(s.perplexity()).as("epoch %d", s.epoch()).isEqualTo(wholePerplexity[s.epoch() - 1]));
            assertThat(t.epochsDone()).isEqualTo(4);
            assertThat(loaded.model().params.data).containsExactly(whole.params.data);
        }
    }
}
