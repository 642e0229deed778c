package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import charlm.data.TokenSequence;
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

    private static RnnModel model(CellType cell, Kernels kernels, Workers workers, int v) {
        RnnModel m = new RnnModel(new ModelConfig(v, 24, Activation.TANH, InputKind.ONEHOT, 9, cell, 1), kernels, workers);
        Rng rng = new Rng(8);
        m.initialize(rng);
        for (int i = 0; i < m.params.size(); i++) m.params.data[i] = (float) (rng.nextGaussian() * 0.3);
        return m;
    }

    private static int[] tokens(int n, int v, long seed) {
        Rng rng = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(v);
        return t;
    }

    /** The oracle of a plan: each piece scored alone as one stream (B = 1), the log-likelihoods added up. */
    private static double piecesAlone(RnnModel m, int[] tokens, Evaluator.Plan plan) {
        double nll = 0;
        for (int i = 0; i < plan.from().length; i++) {
            int from = (int) plan.from()[i], n = (int) plan.predictions()[i];
            nll += Math.log(Evaluator.perplexity(m, java.util.Arrays.copyOfRange(tokens, from, from + n + 1))) * n;
        }
        return Math.exp(nll / plan.total());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void piecesScoredSideBySideAreEachScoredAsAlone(CellType cell) {
        int v = 13;
        try (Workers workers = new Workers(2)) {
            RnnModel m = model(cell, Kernels.get(), workers, v);
            int[] t = tokens(3_001, v, 3);
            // ragged pieces (one shorter than a chunk, one several chunks long) in groups of 3, the last group of 1
            Evaluator.Plan ragged = new Evaluator.Plan(new long[] {0, 40, 500, 900, 1_000, 2_000, 2_990}, new long[] {40, 300, 7, 100, 999, 129, 10}, 3, "ragged");
            for (Evaluator.Plan plan : List.of(ragged, Evaluator.Plan.whole(t.length, 5), Evaluator.Plan.whole(t.length, Evaluator.STREAMS))) {
                double want = piecesAlone(m, t, plan);
                assertThat(Evaluator.perplexity(m, TokenSequence.of(t), plan)).as(plan.description()).isCloseTo(want, within(1e-6 * want));
            }
            // one stream is the reference's definition, bit for bit
            assertThat(Evaluator.perplexity(m, TokenSequence.of(t), Evaluator.Plan.whole(t.length, 1))).isEqualTo(stepByStep(m, t));
        }
    }

    static Stream<CellType> cells() {
        return Stream.of(Cells.RNN, Cells.GRU, Cells.LSTM);
    }

    @org.junit.jupiter.api.Test
    void aSampleCoveringTheTextIsTheWholeTextAndASmallerOneIsFixedWindows() {
        int v = 7;
        int n = 40 * Evaluator.WINDOW + 17;
        long p = n - 1;
        try (Workers workers = new Workers(1)) {
            RnnModel m = model(Cells.GRU, Kernels.get(), workers, v);
            int[] t = tokens(n, v, 4);
            TokenSequence text = TokenSequence.of(t);
            double whole = Evaluator.perplexity(m, text, Evaluator.plan(n, 0, 1));
            for (long covers : new long[] {p, p + 1, 100L * n, 39L * Evaluator.WINDOW + 1}) {
                assertThat(Evaluator.perplexity(m, text, Evaluator.plan(n, covers, 1))).as("N = %d", covers).isEqualTo(whole);
            }
            assertThat(Evaluator.plan(n, 0, 1).total()).isEqualTo(p);
            assertThat(Evaluator.plan(n, 0, 1).from()).hasSize((int) (p / Evaluator.MIN_PIECE));

            Evaluator.Plan sample = Evaluator.plan(n, 5 * Evaluator.WINDOW - 3, 1);
            assertThat(sample.predictions()).containsOnly(Evaluator.WINDOW).hasSize(5);
            for (int i = 0; i < 5; i++) {
                assertThat(sample.from()[i] % Evaluator.WINDOW).isZero();
                assertThat(sample.from()[i] + Evaluator.WINDOW).isLessThanOrEqualTo(p);
                if (i > 0) assertThat(sample.from()[i]).isGreaterThan(sample.from()[i - 1]);
            }
            assertThat(Evaluator.plan(n, 5 * Evaluator.WINDOW - 3, 1).from()).as("the same windows at every scoring").isEqualTo(sample.from());
            assertThat(Evaluator.plan(n, 5 * Evaluator.WINDOW - 3, 2).from()).as("another seed, other windows").isNotEqualTo(sample.from());
            double want = piecesAlone(m, t, sample);
            assertThat(Evaluator.perplexity(m, text, sample)).isCloseTo(want, within(1e-6 * want));
        }
    }

    /**
     * Scoring splits its work over hidden columns (the model's steps) and over pieces (the log-likelihoods),
     * never over a sum: the same bits on 1, 2 and 3 threads, for a whole text and for a plan whose last
     * group is padded with unscored rows, and a scorer reused for another plan and again (as a run reuses
     * its scorer for the probe and every scoring) gives the bits of a fresh one.
     */
    @org.junit.jupiter.api.Test
    void scoringIsBitIdenticalOnAnyNumberOfThreadsAndAReusedScorerIsAFreshOne() {
        int v = 37;
        int[] t = tokens(6_001, v, 5);
        TokenSequence text = TokenSequence.of(t);
        Evaluator.Plan whole = Evaluator.Plan.whole(t.length, 5);
        Evaluator.Plan ragged = new Evaluator.Plan(new long[] {0, 40, 500, 900, 1_000, 2_000, 2_990}, new long[] {40, 300, 7, 100, 999, 129, 10}, 3, "ragged");
        double[] want = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers workers = new Workers(threads)) {
                RnnModel m = new RnnModel(new ModelConfig(v, 160, Activation.TANH, InputKind.EMBEDDING, 16, Cells.LSTM, 1), Kernels.get(), workers);
                m.initialize(new Rng(3));
                Evaluator.Scorer reused = new Evaluator.Scorer(m, whole);
                double[] got = {Evaluator.perplexity(m, text, whole), Evaluator.perplexity(m, text, ragged),
                        reused.perplexity(text, whole), reused.perplexity(text, whole.probe(1_000, 3)), reused.perplexity(text, whole)};
                assertThat(got[2]).as("a scorer made for the plan").isEqualTo(got[0]);
                assertThat(got[4]).as("the same scorer after another plan").isEqualTo(got[0]);
                if (want == null) {
                    want = got;
                    assertThat(got[0]).isNotEqualTo(got[1]);
                } else {
                    assertThat(got).as("%d threads", threads).isEqualTo(want);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aBookSizedHeldOutTextIsStillOneStream() {
        // the book's --val-fraction 0.1 holds out 1,000 tokens: scored exactly as before pieces existed
        Evaluator.Plan plan = Evaluator.plan(1_000, 0, 0);
        assertThat(plan.from()).containsExactly(0);
        assertThat(plan.streams()).isEqualTo(1);
        assertThat(Evaluator.plan(2 * Evaluator.MIN_PIECE + 1, 0, 0).from()).hasSize(2);
    }

    private static double stepByStep(RnnModel m, int[] tokens) {
        RnnModel.Stepper s = m.stepper();
        int v = m.config.vocabSize();
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) nll += SoftmaxCrossEntropy.nll(s.step(tokens[t]), 0, v, tokens[t + 1]);
        return Math.exp(nll / (tokens.length - 1));
    }
}
