package charlm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Exercise 3: sampling from q ∝ P^α instead of taking the argmax. */
class SamplingTest {
    private final Checkpoint.Loaded small = Checkpoint.load(Fixtures.file("small-trained.safetensors"), Kernels.get(), Workers.serial());

    /** q ∝ P^α computed independently, in double, from the logits. */
    private static double[] expected(float[] logits, int v, double alpha) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[j]);
        double[] q = new double[v];
        double sum = 0;
        for (int j = 0; j < v; j++) sum += q[j] = Math.pow(Math.exp(logits[j] - max), alpha);
        for (int j = 0; j < v; j++) q[j] /= sum;
        return q;
    }

    @Test
    void sampledFrequenciesMatchTheSoftmaxRaisedToAlpha() {
        var stepper = small.model().stepper();
        for (int c : "time traveller".codePoints().toArray()) stepper.step(small.vocab().index(c));
        float[] logits = stepper.step(small.vocab().index(' ')).clone();
        int v = small.vocab().size();
        int n = 200_000;
        for (double alpha : new double[] {1.0, 0.5, 2.0}) {
            Predictor.Decoding d = Predictor.Decoding.sample(alpha, 0, new Rng(17));
            int[] counts = new int[v];
            for (int i = 0; i < n; i++) counts[d.choose(logits, v)]++;
            double[] q = expected(logits, v, alpha);
            for (int j = 0; j < v; j++) {
                // each count is Binomial(n, q_j): within 5 standard deviations (a false alarm about once in 10^6 per cell)
                double sd = Math.sqrt(q[j] * (1 - q[j]) / n);
                assertThat(counts[j] / (double) n).as("alpha %s, token %d", alpha, j).isCloseTo(q[j],
                        org.assertj.core.data.Offset.offset(5 * sd + 1e-5));
            }
        }
    }

    @Test
    void topKDrawsOnlyFromTheKMostLikely() {
        float[] logits = {0.1f, 3f, 2f, -1f, 2.5f};
        Predictor.Decoding d = Predictor.Decoding.sample(1.0, 2, new Rng(3));
        int[] counts = new int[5];
        for (int i = 0; i < 20_000; i++) counts[d.choose(logits, 5)]++;
        assertThat(counts[0] + counts[2] + counts[3]).isZero();
        double p1 = Math.exp(3) / (Math.exp(3) + Math.exp(2.5));
        assertThat(counts[1] / 20_000.0).isCloseTo(p1, org.assertj.core.data.Offset.offset(0.015));
    }

    @Test
    void streamedTokensAreTheGeneratedText() {
        Predictor p = new Predictor(small.model(), small.vocab(), small.tokenizer());
        for (Predictor.Decoding d : new Predictor.Decoding[] {Predictor.Decoding.GREEDY, Predictor.Decoding.sample(1.0, 0, new Rng(9))}) {
            StringBuilder streamed = new StringBuilder();
            java.util.List<String> tokens = new java.util.ArrayList<>();
            String text = p.generate("Time Traveller", 40, d, t -> {
                tokens.add(t);
                streamed.append(t);
            });
            assertThat(tokens).hasSize(40);
            assertThat(text).isEqualTo("time traveller" + streamed);
        }
        // and the streaming call gives what the plain one gives
        assertThat(p.generate("the", 30, Predictor.Decoding.sample(0.7, 3, new Rng(4)), t -> { }))
                .isEqualTo(p.generate("the", 30, Predictor.Decoding.sample(0.7, 3, new Rng(4))));
    }

    @Test
    void aVeryLargeAlphaGivesTheGreedyText() {
        Predictor p = new Predictor(small.model(), small.vocab(), small.tokenizer());
        String greedy = p.greedy("time traveller", 100);
        assertThat(p.generate("time traveller", 100, Predictor.Decoding.sample(1e6, 0, new Rng(1)))).isEqualTo(greedy);
        assertThat(greedy).isEqualTo(p.generate("time traveller", 100, Predictor.Decoding.GREEDY));
    }

    @Test
    void sameSeedSameTextOtherSeedOtherText() {
        Predictor p = new Predictor(small.model(), small.vocab(), small.tokenizer());
        String a = p.generate("the", 200, Predictor.Decoding.sample(1.0, 0, new Rng(5)));
        String b = p.generate("the", 200, Predictor.Decoding.sample(1.0, 0, new Rng(5)));
        String c = p.generate("the", 200, Predictor.Decoding.sample(1.0, 0, new Rng(6)));
        assertThat(a).isEqualTo(b).hasSize(203).startsWith("the");
        assertThat(c).isNotEqualTo(a);
    }
}
