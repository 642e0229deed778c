package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import org.junit.jupiter.api.Test;

class OptimizerTest {
    private static float[] random(int n, double scale, long seed) {
        Rng r = new Rng(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * scale);
        return g;
    }

    @Test
    void aboveThetaTheNormBecomesThetaAndTheDirectionStays() {
        float[] g = random(10_000, 0.1, 1); // norm ≈ 10
        float[] before = g.clone();
        double norm = Optimizer.clipGradients(g, 1.0);
        assertThat(norm).isGreaterThan(5);
        assertThat(Optimizer.norm(g)).isCloseTo(1.0, within(1e-5));
        double scale = g[0] / (double) before[0];
        for (int i = 0; i < g.length; i++) assertThat((double) g[i]).isCloseTo(before[i] * scale, within(1e-7));
    }

    @Test
    void belowThetaNothingChanges() {
        float[] g = random(1000, 0.001, 2); // norm ≈ 0.03
        float[] before = g.clone();
        assertThat(Optimizer.clipGradients(g, 1.0)).isLessThan(1.0);
        assertThat(g).containsExactly(before);
    }

    @Test
    void noClippingIsAnInfiniteThreshold() {
        float[] g = random(1000, 10, 3);
        float[] before = g.clone();
        Optimizer.clipGradients(g, Double.POSITIVE_INFINITY);
        assertThat(g).containsExactly(before);
    }

    @Test
    void sgdStepsAgainstTheGradient() {
        float[] x = {1f, 2f, 3f};
        Optimizer.sgd(x, new float[] {0.5f, -1f, 0f}, 2.0);
        assertThat(x).containsExactly(0f, 4f, 3f);
    }
}
