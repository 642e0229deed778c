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

    /** The training loop's fused parallel update against the plain one it replaces. */
    @Test
    void theParallelFusedUpdateMatchesClipThenSgd() {
        for (double scale : new double[] {0.1, 0.0001}) { // clipped, then not
            float[] g = random(100_003, scale, 4), x = random(100_003, 1, 5);
            float[] g2 = g.clone(), x2 = x.clone();
            double norm = Optimizer.clipGradients(g2, 1.0);
            Optimizer.sgd(x2, g2, 0.5);
            try (charlm.kernels.Workers w = new charlm.kernels.Workers(2)) {
                ParallelSgd p = new ParallelSgd(w);
                double n = p.norm(g);
                assertThat(n).isCloseTo(norm, within(1e-9 * norm));
                boolean clip = n > 1.0;
                p.step(x, g, 0.5, clip ? (float) (1.0 / n) : 1f, clip);
            }
            for (int i = 0; i < x.length; i++) assertThat((double) x[i]).isCloseTo(x2[i], within(1e-6));
            assertThat(g).containsOnly(0f);
        }
    }
}
