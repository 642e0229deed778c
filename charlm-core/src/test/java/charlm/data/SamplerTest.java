package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The two iterators, on a corpus whose token i is i: every property is then a statement about positions. */
class SamplerTest {
    private static int[] positions(int n) {
        int[] c = new int[n];
        for (int i = 0; i < n; i++) c[i] = i;
        return c;
    }

    @ParameterizedTest
    @CsvSource({"1000, 4, 7", "10000, 32, 35", "500, 2, 35", "300, 3, 5"})
    void sequentialBatchesContinueRowByRow(int n, int b, int t) {
        Sampler s = Sampler.sequential(positions(n), b, t);
        Rng rng = new Rng(1);
        Set<Integer> offsets = new HashSet<>();
        for (int epoch = 0; epoch < 60; epoch++) {
            int batches = s.startEpoch(rng);
            Minibatch prev = null;
            int offset = -1;
            for (int k = 0; k < batches; k++) {
                Minibatch m = new Minibatch(b, t);
                s.fill(k, m);
                if (k == 0) offset = m.x[0];
                for (int i = 0; i < b * t; i++) assertThat(m.y[i]).isEqualTo(m.x[i] + 1);
                for (int r = 0; r < b; r++) {
                    for (int j = 1; j < t; j++) assertThat(m.x[r * t + j]).isEqualTo(m.x[r * t + j - 1] + 1);
                    if (prev != null) assertThat(m.x[r * t]).as("row %d continues", r).isEqualTo(prev.x[r * t + t - 1] + 1);
                }
                prev = m;
            }
            assertThat(offset).isBetween(0, t);
            offsets.add(offset);
            int streamLength = (n - offset - 1) / b;
            assertThat(batches).isEqualTo(streamLength / t);
        }
        assertThat(offsets).as("offsets drawn from [0, T] inclusive").contains(0, t);
    }

    @ParameterizedTest
    @CsvSource({"1000, 4, 7", "10000, 32, 35", "300, 3, 5"})
    void randomBatchesDoNotOverlapAndCoverTheEpoch(int n, int b, int t) {
        Sampler s = Sampler.random(positions(n), b, t);
        Rng rng = new Rng(2);
        Set<Integer> offsets = new HashSet<>();
        for (int epoch = 0; epoch < 60; epoch++) {
            int batches = s.startEpoch(rng);
            BitSet seen = new BitSet(n);
            Set<Integer> starts = new HashSet<>();
            int minStart = Integer.MAX_VALUE;
            for (int k = 0; k < batches; k++) {
                Minibatch m = new Minibatch(b, t);
                s.fill(k, m);
                for (int r = 0; r < b; r++) {
                    int start = m.x[r * t];
                    starts.add(start);
                    minStart = Math.min(minStart, start);
                    for (int j = 0; j < t; j++) {
                        assertThat(m.x[r * t + j]).isEqualTo(start + j);
                        assertThat(m.y[r * t + j]).isEqualTo(start + j + 1);
                        assertThat(seen.get(start + j)).as("position %d used twice", start + j).isFalse();
                        seen.set(start + j);
                    }
                }
            }
            int offset = minStart % t;
            offsets.add(offset);
            int subsequences = (n - offset - 1) / t;
            assertThat(batches).isEqualTo(subsequences / b);
            assertThat(seen.cardinality()).isEqualTo(batches * b * t);
            // every used start is on the epoch's grid offset + k·T
            for (int start : starts) assertThat((start - offset) % t).isZero();
        }
        assertThat(offsets).as("offsets drawn from [0, T-1]").contains(0, t - 1).doesNotContain(t);
    }

    @Test
    void randomOrderIsShuffledAndSeeded() {
        int[] c = positions(5000);
        Sampler a = Sampler.random(c, 4, 10), b = Sampler.random(c, 4, 10);
        a.startEpoch(new Rng(9));
        b.startEpoch(new Rng(9));
        Minibatch ma = new Minibatch(4, 10), mb = new Minibatch(4, 10);
        a.fill(0, ma);
        b.fill(0, mb);
        assertThat(ma.x).containsExactly(mb.x);
        boolean ordered = true;
        for (int r = 1; r < 4; r++) ordered &= ma.x[r * 10] > ma.x[(r - 1) * 10];
        assertThat(ordered).as("first minibatch is not in corpus order").isFalse();
    }

    @Test
    void aCorpusTooShortForOneMinibatchNamesTheSizes() {
        assertThatThrownBy(() -> Sampler.sequential(positions(100), 32, 35)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("100 tokens").hasMessageContaining("32").hasMessageContaining("35");
        // The smallest corpus accepted still yields one minibatch at the worst offset.
        Sampler s = Sampler.sequential(positions(4 * 5 + 5 + 1), 4, 5);
        Rng rng = new Rng(3);
        for (int i = 0; i < 50; i++) assertThat(s.startEpoch(rng)).isGreaterThanOrEqualTo(1);
        Sampler r = Sampler.random(positions(4 * 5 + 5 + 1), 4, 5);
        for (int i = 0; i < 50; i++) assertThat(r.startEpoch(rng)).isGreaterThanOrEqualTo(1);
    }
}
