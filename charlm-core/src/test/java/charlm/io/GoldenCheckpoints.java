package charlm.io;

import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.kernels.ReferenceKernels;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.train.Evaluator;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Writes golden checkpoints and what they must compute. The format 1 files (golden-v1-*) were made once,
 * by the format 1 code of commit 73a843d, with
 *   mvn -q -pl charlm-core test-compile
 *   java --add-modules jdk.incubator.vector -cp charlm-core/target/test-classes:charlm-core/target/classes \
 *       charlm.io.GoldenCheckpoints charlm-core/src/test/resources/golden
 * They are committed; GoldenCheckpointTest then proves that later versions still read them and get
 * the same numbers. Never regenerate them to make that test pass.
 */
public final class GoldenCheckpoints {
    static final String TEXT = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us";
    static final List<String> VOCAB = List.of("<unk>", " ", "e", "t", "a", "o", "i", "n", "s", "r", "h", "m", "l", "c", "d", "u", "p",
            "v", "w", "b", "f", "g", "x", "y", "k");

    /** name -> model shape; each is initialised from seed 1 with weights scaled up so it says something. */
    static final Map<String, ModelConfig> MODELS = Map.of(
            "golden-v1-rnn", new ModelConfig(VOCAB.size(), 16, Activation.TANH, InputKind.ONEHOT, 0, Cells.RNN, 1),
            "golden-v1-gru2", new ModelConfig(VOCAB.size(), 12, Activation.TANH, InputKind.ONEHOT, 0, Cells.GRU, 2),
            "golden-v1-lstm2-embed", new ModelConfig(VOCAB.size(), 12, Activation.TANH, InputKind.EMBEDDING, 6, Cells.LSTM, 2));

    private GoldenCheckpoints() {
    }

    static RnnModel make(ModelConfig c) {
        RnnModel m = new RnnModel(c, new ReferenceKernels(), Workers.serial());
        Rng rng = new Rng(1);
        m.initialize(rng);
        for (int i = 0; i < m.params.size(); i++) m.params.data[i] = (float) (rng.nextGaussian() * 0.4);
        return m;
    }

    static int[] tokens(Vocab v) {
        return v.encode(TEXT.codePoints().toArray());
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Vocab vocab = Vocab.of(VOCAB);
        Properties expected = new Properties();
        for (var e : MODELS.entrySet()) {
            RnnModel m = make(e.getValue());
            Checkpoint.save(dir.resolve(e.getKey() + ".safetensors"), m, vocab, Tokenizer.LETTERS);
            expected.setProperty(e.getKey() + ".perplexity", Double.toString(Evaluator.perplexity(m, tokens(vocab))));
            expected.setProperty(e.getKey() + ".greedy", new Predictor(m, vocab, Tokenizer.LETTERS).greedy("the time", 40));
        }
        try (Writer w = Files.newBufferedWriter(dir.resolve("golden.properties"))) {
            expected.store(w, "written by charlm.io.GoldenCheckpoints with format version " + Checkpoint.FORMAT_VERSION + "; do not edit");
        }
    }
}
