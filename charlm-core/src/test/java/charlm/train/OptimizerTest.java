package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import charlm.kernels.ArrayPasses;
import charlm.kernels.Workers;
import org.junit.jupiter.api.Test;

/** Clipping and SGD: the chapter's plain loops, and the parallel versions the trainer runs held to them. */
class OptimizerTest {
    static float[] random(int n, double scale, long seed) {
        Rng r = new Rng(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * scale);
        return g;
    }

    @Test
    void aboveThetaTheNormBecomesThetaAndTheDirectionStays() {
        float[] g = random(10_000, 0.1, 1); // norm ≈ 10
        float[] before = g.clone();
        double norm = GradientClipping.clipGradients(g, 1.0);
        assertThat(norm).isGreaterThan(5);
        assertThat(GradientClipping.plainNorm(g)).isCloseTo(1.0, within(1e-5));
        double scale = g[0] / (double) before[0];
        for (int i = 0; i < g.length; i++) assertThat((double) g[i]).isCloseTo(before[i] * scale, within(1e-7));
    }

    @Test
    void belowThetaNothingChanges() {
        float[] g = random(1000, 0.001, 2); // norm ≈ 0.03
        float[] before = g.clone();
        assertThat(GradientClipping.clipGradients(g, 1.0)).isLessThan(1.0);
        assertThat(g).containsExactly(before);
    }

    @Test
    void noClippingIsAnInfiniteThreshold() {
        float[] g = random(1000, 10, 3);
        float[] before = g.clone();
        GradientClipping.clipGradients(g, Double.POSITIVE_INFINITY);
        assertThat(g).containsExactly(before);
    }

    @Test
    void sgdStepsAgainstTheGradient() {
        float[] x = {1f, 2f, 3f};
        try (Workers w = Workers.serial()) {
            new Sgd(w).step(x, new float[] {0.5f, -1f, 0f}, 2.0, 1);
        }
        assertThat(x).containsExactly(0f, 4f, 3f);
    }

    /** The parallel clipping and SGD step against the chapter's plain loops: the same bits, whatever the thread count. */
    @Test
    void theParallelClipAndStepMatchThePlainLoops() {
        for (double scale : new double[] {0.1, 0.0001}) { // clipped, then not
            float[] g0 = random(100_003, scale, 4), x0 = random(100_003, 1, 5);
            float[] gPlain = g0.clone(), xPlain = x0.clone();
            double plainNorm = GradientClipping.clipGradients(gPlain, 1.0);
            Sgd plain = new Sgd(Workers.serial());
            plain.prepare(0.5, 1);
            plain.update(xPlain, gPlain, 0, xPlain.length); // the plain loop, once over everything
            for (int threads = 1; threads <= 3; threads++) {
                float[] g = g0.clone(), x = x0.clone();
                try (Workers w = new Workers(threads)) {
                    GradientClipping clipping = new GradientClipping(new ArrayPasses(w), 1.0);
                    double norm = clipping.norm(g);
                    assertThat(norm).isCloseTo(plainNorm, within(1e-9 * plainNorm));
                    assertThat(clipping.clip(g, norm)).isEqualTo(scale > 0.01);
                    new Sgd(w).step(x, g, 0.5, 1);
                }
                assertThat(g).as("clipped gradient, %d threads", threads).containsExactly(gPlain);
                assertThat(x).as("parameters, %d threads", threads).containsExactly(xPlain);
            }
        }
    }

    @Test
    void zeroingClearsEveryElement() {
        float[] g = random(70_001, 1, 6);
        try (Workers w = new Workers(2)) {
            new ArrayPasses(w).zero(g);
        }
        assertThat(g).containsOnly(0f);
    }
}
