package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.ReferenceKernels;
import charlm.kernels.SoftmaxCrossEntropy;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.CellType;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The evaluator runs the stream in pieces; its oracle is the definition read literally: one
 * {@link RnnModel.Stepper} from a zero state, one token at a time, the log-likelihoods summed in
 * order. The two must agree to the last bit, for every cell, one-hot and embedded, one and two
 * layers, a stream shorter than a piece, a whole number of pieces, and one with a short last piece.
 */
class EvaluatorTest {

    static Stream<Arguments> models() {
        List<Arguments> all = new ArrayList<>();
        for (CellType cell : List.of(Cells.RNN, Cells.GRU, Cells.LSTM)) {
            for (InputKind in : InputKind.values()) {
                for (String k : new String[] {"reference", "default"}) {
                    all.add(Arguments.of(cell, in, 1, k));
                }
            }
            all.add(Arguments.of(cell, InputKind.ONEHOT, 2, "default"));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} x{2} {3} kernels")
    @MethodSource("models")
    void piecesGiveTheStepByStepPerplexityBitForBit(CellType cell, InputKind in, int layers, String k) {
        int v = 11;
        Kernels kernels = k.equals("reference") ? new ReferenceKernels() : Kernels.get();
        try (Workers workers = new Workers(2)) {
            RnnModel m = new RnnModel(new ModelConfig(v, 70, Activation.TANH, in, 9, cell, layers), kernels, workers);
            Rng rng = new Rng(21);
            m.initialize(rng);
            for (int i = 0; i < m.params.size(); i++) m.params.data[i] = (float) (rng.nextGaussian() * 0.3);
            for (int n : new int[] {2, 40, Evaluator.CHUNK + 1, 2 * Evaluator.CHUNK + 1, 2 * Evaluator.CHUNK + 58}) {
                int[] tokens = new int[n];
                for (int i = 0; i < n; i++) tokens[i] = rng.nextInt(v);
                assertThat(Evaluator.perplexity(m, tokens)).as("%d tokens", n).isEqualTo(stepByStep(m, tokens));
            }
        }
    }

    private static double stepByStep(RnnModel m, int[] tokens) {
        RnnModel.Stepper s = m.stepper();
        int v = m.config.vocabSize();
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) nll += SoftmaxCrossEntropy.nll(s.step(tokens[t]), 0, v, tokens[t + 1]);
        return Math.exp(nll / (tokens.length - 1));
    }
}
