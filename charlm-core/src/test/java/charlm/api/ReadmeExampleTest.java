package charlm.api;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.testing.SharedData;
import charlm.train.TrainingSettings;
import charlm.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Java API" example, as written there but smaller (H = 64, 3 epochs), so it stays true. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void theReadmeExampleRuns() throws Exception {
        Path book = SharedData.textFile(dir); // the README uses BookSource.timeMachine().resolve(null)
        List<String> printed = new ArrayList<>();
        Corpus corpus = Corpus.load(book, Tokenizer.LETTERS, 10_000);
        try (Workers workers = new Workers(2)) {
            RnnModel model = new RnnModel(ModelConfig.chapter(corpus.vocab().size(), 64), Kernels.get(), workers);
            Rng rng = new Rng(0);
            model.initialize(rng);
            new Trainer(model, TrainingSettings.book().with(TrainingSettings.EPOCHS, 3), corpus.tokens(), null, rng)
                    .run(s -> printed.add(String.format("epoch %d perplexity %.2f", s.epoch(), s.perplexity())));
            String text = new Predictor(model, corpus.vocab(), Tokenizer.LETTERS).greedy("time traveller", 50);
            Checkpoint.save(dir.resolve("model.safetensors"), model, corpus.vocab(), Tokenizer.LETTERS);
            assertThat(printed).hasSize(3);
            assertThat(text).startsWith("time traveller").hasSize(64);
            assertThat(dir.resolve("model.safetensors")).exists();
        }
    }
}
