package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Corpus;
import charlm.data.Tokenizer;
import charlm.generate.Predictor;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.model.RnnModel;
import charlm.model.Tape;
import charlm.testing.Fixtures;
import charlm.testing.SharedData;
import charlm.train.Evaluator;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * charlm against numbers the PyTorch reference produced (src/test/resources/reference, made by
 * make-fixtures.sh): loss and every gradient on one minibatch, perplexity and greedy text of a
 * reference-trained checkpoint. The tests that read the book say so and skip visibly without it.
 */
class ReferenceFixturesTest {
    private final Workers serial = Workers.serial();

    private Checkpoint.Loaded load(String name) {
        return Checkpoint.load(Fixtures.file(name), Kernels.get(), serial);
    }

    @Test
    void lossAndGradientsMatchTheReferenceOnItsFirstMinibatch() {
        RnnModel m = load("tiny-init.safetensors").model();
        int[] rows = Arrays.stream(Fixtures.expected("tiny.grads.batch").split(" ")).mapToInt(Integer::parseInt).toArray();
        int b = 3, t = 5;
        int[] x = new int[b * t], y = new int[b * t];
        for (int r = 0; r < b; r++) {
            for (int s = 0; s < t; s++) {
                x[r * t + s] = rows[r * (t + 1) + s];
                y[r * t + s] = rows[r * (t + 1) + s + 1];
            }
        }
        Tape tape = m.newTape(b, t);
        m.forward(tape, x, m.beginState(b), true);
        double loss = m.loss(tape, y);
        assertThat(loss).isCloseTo(Fixtures.number("tiny.grads.loss"), within(1e-6));
        m.params.zeroGrad();
        m.backward(tape, null, null);
        Safetensors.Contents ref = Safetensors.read(Fixtures.file("tiny-grads.safetensors"));
        for (Parameters.Tensor p : m.params.tensors()) {
            Safetensors.Tensor want = ref.tensors().get("d_" + p.name());
            assertThat(want).as("reference gradient d_" + p.name()).isNotNull();
            assertThat(want.shape()).isEqualTo(p.shape());
            float[] got = m.params.read(p, m.params.grad);
            double scale = 0;
            for (float v : want.values()) scale = Math.max(scale, Math.abs(v));
            assertThat(scale).as(p.name() + " has a non-zero gradient").isGreaterThan(0);
            for (int i = 0; i < got.length; i++) {
                // float32 on both sides, summed in different orders: agree to 1e-5 of the tensor's scale
                assertThat((double) got[i]).as("d_%s[%d]", p.name(), i).isCloseTo(want.values()[i], within(1e-5 * scale));
            }
        }
    }

    @Test
    void aReferenceCheckpointLoadsWithTheChapterShapesAndVocabulary() {
        Checkpoint.Loaded c = load("small-trained.safetensors");
        assertThat(c.model().config.hiddens()).isEqualTo(32);
        assertThat(c.vocab().size()).isEqualTo(28);
        assertThat(c.vocab().token(0)).isEqualTo("<unk>");
        assertThat(c.vocab().token(1)).isEqualTo(" ");
        assertThat(c.tokenizer()).isEqualTo(Tokenizer.LETTERS);
    }

    @Test
    void greedyGenerationMatchesTheReference() {
        Checkpoint.Loaded c = load("small-trained.safetensors");
        Predictor p = new Predictor(c.model(), c.vocab(), c.tokenizer());
        assertThat(p.greedy("time traveller", 50)).isEqualTo(Fixtures.expected("small.generate.time_traveller.50"));
        assertThat(p.greedy("traveller", 50)).isEqualTo(Fixtures.expected("small.generate.traveller.50"));
        assertThat(p.greedy("the", 200)).isEqualTo(Fixtures.expected("small.generate.the.200"));
    }

    @Test
    void evalPerplexityMatchesTheReferenceToOneInTenThousand() {
        Path book = bookOrSkip();
        for (String model : new String[] {"tiny", "small"}) {
            Checkpoint.Loaded c = load(model + "-" + (model.equals("tiny") ? "init" : "trained") + ".safetensors");
            int[] tokens = Corpus.encode(book, c.tokenizer(), c.vocab(), 10_000);
            assertThat(tokens.length - 1).isEqualTo((int) Fixtures.number(model + ".eval.predictions.10000"));
            double want = Fixtures.number(model + ".eval.perplexity.10000");
            assertThat(Evaluator.perplexity(c.model(), tokens)).as(model).isCloseTo(want, within(1e-4 * want));
        }
        Checkpoint.Loaded c = load("small-trained.safetensors");
        int[] all = Corpus.encode(book, c.tokenizer(), c.vocab(), 0);
        assertThat(all.length - 1).isEqualTo((int) Fixtures.number("small.eval.predictions.all"));
        double want = Fixtures.number("small.eval.perplexity.all");
        assertThat(Evaluator.perplexity(c.model(), all)).isCloseTo(want, within(1e-4 * want));
    }

    static Path bookOrSkip() {
        return SharedData.requireTimeMachine();
    }
}
