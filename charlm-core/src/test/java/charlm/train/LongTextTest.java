package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Minibatch;
import charlm.data.Rng;
import charlm.data.Sampler;
import charlm.data.TokenSequence;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import org.junit.jupiter.api.Test;

/**
 * Positions past 2^31 without a 2 GB file: a text of 3·2^30 tokens that exists only as a formula
 * (token i is a hash of i), read through the same {@link TokenSequence} a mapped cache implements. Every
 * sampler row, the held-out split and every scored window is checked against the formula at long
 * positions; an int anywhere on the way would wrap and read the wrong tokens (or fail an index check).
 * The mapped file itself is tested across many chunk boundaries with small chunks (TokenCacheTest).
 */
class LongTextTest {
    static final int V = 11;
    static final long N = 3L << 30;

    /** Token i of the imagined text. */
    static int token(long i) {
        long h = i * 0x9E3779B97F4A7C15L;
        return (int) Math.floorMod(h ^ (h >>> 29), (long) V);
    }

    /** The formula as a sequence, with views as any sequence has them. */
    record Formula(long from, long length) implements TokenSequence {
        @Override
        public int get(long i) {
            java.util.Objects.checkIndex(i, length);
            return token(from + i);
        }

        @Override
        public TokenSequence slice(long start, long end) {
            TokenSequence.checkSlice(start, end, length);
            return new Formula(from + start, end - start);
        }
    }

    @Test
    void sequentialStreamsReachPastTwoToTheThirtyOne() {
        int b = 2, t = 64;
        Sampler s = Sampler.sequential(new Formula(0, N), b, t);
        Rng rng = new Rng(3);
        int batches = s.startEpoch(rng);
        assertThat((long) batches * b * t).isGreaterThan(Integer.MAX_VALUE);
        Minibatch m = new Minibatch(b, t);
        s.fill(batches - 1, m);
        // row 1 starts at offset + L + k·T, past 2^31; find the offset from row 0 of the first batch
        Minibatch first = new Minibatch(b, t);
        s.fill(0, first);
        long offset = -1;
        for (long o = 0; o <= t && offset < 0; o++) {
            boolean all = true;
            for (int j = 0; j < t && all; j++) all = first.x[j] == token(o + j);
            if (all) offset = o;
        }
        assertThat(offset).isBetween(0L, (long) t);
        long streamLength = (N - offset - 1) / b;
        for (int r = 0; r < b; r++) {
            long src = offset + r * streamLength + (long) (batches - 1) * t;
            for (int j = 0; j < t; j++) {
                assertThat(m.x[r * t + j]).isEqualTo(token(src + j));
                assertThat(m.y[r * t + j]).isEqualTo(token(src + j + 1));
            }
        }
    }

    @Test
    void randomSubsequencesReachPastTwoToTheThirtyOne() {
        int b = 4, t = 4096; // 786,432 subsequences: their numbers are ints, their starts are longs
        Sampler s = Sampler.random(new Formula(0, N), b, t);
        int batches = s.startEpoch(new Rng(5));
        long offset = new Rng(5).nextInt(t); // an epoch's first draw is its offset, as in the book's iterator
        Minibatch m = new Minibatch(b, t);
        boolean beyond = false;
        for (int k = batches - 50; k < batches; k++) {
            s.fill(k, m);
            for (int r = 0; r < b; r++) {
                long start = find(m.x, r * t, offset, t);
                assertThat(start).as("row %d of minibatch %d is a subsequence at offset + s T", r, k).isNotNegative();
                beyond |= start > Integer.MAX_VALUE;
                for (int j = 0; j < t; j++) {
                    assertThat(m.x[r * t + j]).isEqualTo(token(start + j));
                    assertThat(m.y[r * t + j]).isEqualTo(token(start + j + 1));
                }
            }
        }
        assertThat(beyond).as("some of 200 random starts lie past 2^31").isTrue();
    }

    /** The start offset + s·T whose first 24 tokens are the row's (which pins it down among 786,432 with overwhelming odds), or -1. */
    private static long find(int[] x, int at, long offset, int t) {
        outer:
        for (long start = offset; start + t < N; start += t) {
            for (int j = 0; j < 24; j++) if (x[at + j] != token(start + j)) continue outer;
            return start;
        }
        return -1;
    }

    @Test
    void theHeldOutTailIsAViewAndItsSampledWindowsScoreAsAlone() {
        TokenSequence all = new Formula(0, N);
        long val = Math.round(N * 0.01);
        TokenSequence heldOut = all.slice(N - val, N);
        assertThat(heldOut.get(0)).isEqualTo(token(N - val));
        assertThat(heldOut.get(val - 1)).isEqualTo(token(N - 1));
        Evaluator.Plan plan = Evaluator.plan(heldOut.length(), 3 * Evaluator.WINDOW, 9);
        assertThat(plan.from()).hasSize(3);
        try (Workers workers = new Workers(1)) {
            RnnModel m = new RnnModel(new ModelConfig(V, 16, Activation.TANH, InputKind.ONEHOT, 8, Cells.GRU, 1), Kernels.get(), workers);
            m.initialize(new Rng(1));
            double nll = 0;
            for (int i = 0; i < 3; i++) {
                long from = N - val + plan.from()[i];
                int[] window = new int[Evaluator.WINDOW + 1];
                for (int j = 0; j < window.length; j++) window[j] = token(from + j);
                nll += Math.log(Evaluator.perplexity(m, window)) * Evaluator.WINDOW;
            }
            double want = Math.exp(nll / (3 * Evaluator.WINDOW));
            assertThat(Evaluator.perplexity(m, heldOut, plan)).isCloseTo(want, within(1e-6 * want));
        }
    }
}
