package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void sameSeedSameStreamAndStateCanBeRestored() {
        Rng a = new Rng(42), b = new Rng(42);
        for (int i = 0; i < 100; i++) assertThat(a.nextLong()).isEqualTo(b.nextLong());
        long[] saved = a.state();
        long next = a.nextLong();
        Rng c = new Rng(0);
        c.setState(saved);
        assertThat(c.nextLong()).isEqualTo(next);
        assertThat(new Rng(1).nextLong()).isNotEqualTo(new Rng(2).nextLong());
    }

    @Test
    void nextIntIsUniformAndGaussianIsStandard() {
        Rng r = new Rng(7);
        int[] counts = new int[7];
        int n = 700_000;
        for (int i = 0; i < n; i++) counts[r.nextInt(7)]++;
        // each count ~ Binomial(n, 1/7): sd ≈ 293; allow 5 sd
        for (int c : counts) assertThat((double) c).isCloseTo(n / 7.0, within(1500.0));
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g;
            sq += g * g;
        }
        assertThat(sum / n).isCloseTo(0, within(0.01));
        assertThat(sq / n).isCloseTo(1, within(0.01));
    }
}
