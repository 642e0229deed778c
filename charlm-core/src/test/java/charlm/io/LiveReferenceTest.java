package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.generate.Predictor;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.testing.Reference;
import charlm.testing.SharedData;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import charlm.train.Trainer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint written by charlm, read by the PyTorch reference: both must compute the same numbers. */
class LiveReferenceTest {
    @TempDir
    Path dir;

    @Test
    void theReferenceReadsCharlmsCheckpointAndAgreesOnEvalAndGreedyText() throws Exception {
        Reference.require();
        Path text = SharedData.textFile(dir);
        Corpus corpus = Corpus.load(text, Tokenizer.LETTERS, 10_000);
        try (Workers workers = Workers.serial()) {
            RnnModel m = new RnnModel(ModelConfig.chapter(corpus.vocab().size(), 48), Kernels.get(), workers);
            Rng rng = new Rng(2);
            m.initialize(rng);
            new Trainer(m, TrainingSettings.book().with(TrainingSettings.EPOCHS, 40).with(TrainingSettings.SEED, 2L), corpus.tokens(), null, rng).run(s -> { });
            Path ckpt = dir.resolve("charlm.safetensors");
            Checkpoint.save(ckpt, m, corpus.vocab(), Tokenizer.LETTERS);

            String evalLine = Reference.run("eval", "--data", text.toString(), "--model", ckpt.toString()).lastLine();
            Matcher ppl = Pattern.compile("perplexity (\\S+) over (\\d+) predictions").matcher(evalLine);
            assertThat(ppl.matches()).as(evalLine).isTrue();
            double theirs = Double.parseDouble(ppl.group(1));
            assertThat(Evaluator.perplexity(m, corpus.tokens())).isCloseTo(theirs, within(1e-4 * theirs));
            assertThat(theirs).as("a trained model, not a uniform one").isLessThan(corpus.vocab().size() * 0.7);

            Predictor p = new Predictor(m, corpus.vocab(), Tokenizer.LETTERS);
            for (String prefix : new String[] {"time traveller", "the"}) {
                String ref = Reference.run("generate", "--model", ckpt.toString(), "--prefix", prefix, "--num-preds", "60").lastLine();
                assertThat(p.greedy(prefix, 60)).isEqualTo(ref);
            }
        }
    }
}
