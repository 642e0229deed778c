package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import charlm.kernels.ArrayPasses;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.settings.Settings;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Clipping and SGD: the chapter's plain loops, and the parallel versions the trainer runs held to them. */
class OptimizerTest {
    /** Parameters of one (rows, cols) matrix "W" that takes weight decay and a vector "b" that does not. */
    static Parameters matrixAndBias(int rows, int cols) {
        return tensors("W", new int[] {rows, cols}, "b", new int[] {cols});
    }

    /** Parameters of the named shapes, in order: (name, int[] shape) pairs; matrices take weight decay, vectors not. */
    static Parameters tensors(Object... nameShape) {
        Parameters.Builder b = Parameters.builder();
        for (int i = 0; i < nameShape.length; i += 2) {
            int[] shape = (int[]) nameShape[i + 1];
            b.add((String) nameShape[i], shape.length == 2 ? Parameters.Role.INPUT_WEIGHT : Parameters.Role.BIAS, shape);
        }
        return b.build();
    }

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
            new Sgd(tensors("b", new int[] {3}), w, 0).step(x, new float[] {0.5f, -1f, 0f}, 2.0, 1);
        }
        assertThat(x).containsExactly(0f, 4f, 3f);
    }

    /** The parallel clipping and SGD step against the chapter's plain loops: the same bits, whatever the thread count. */
    @Test
    void theParallelClipAndStepMatchThePlainLoops() {
        for (double scale : new double[] {0.1, 0.0001}) { // clipped, then not
            float[] g0 = random(100_003, scale, 4), x0 = random(100_003, 1, 5);
            Parameters shape = tensors("b", new int[] {x0.length});
            float[] gPlain = g0.clone(), xPlain = x0.clone();
            double plainNorm = GradientClipping.clipGradients(gPlain, 1.0);
            new Sgd(shape, Workers.serial(), 0).stepSerially(xPlain, gPlain, 0.5, 1); // the plain loop, once over everything
            for (int threads = 1; threads <= 3; threads++) {
                float[] g = g0.clone(), x = x0.clone();
                try (Workers w = new Workers(threads)) {
                    GradientClipping clipping = new GradientClipping(new ArrayPasses(w), 1.0);
                    double norm = clipping.norm(g);
                    assertThat(norm).isCloseTo(plainNorm, within(1e-9 * plainNorm));
                    assertThat(clipping.clip(g, norm)).isEqualTo(scale > 0.01);
                    new Sgd(shape, w, 0).step(x, g, 0.5, 1);
                }
                assertThat(Arrays.equals(g, gPlain)).as("clipped gradient, %d threads", threads).isTrue();
                assertThat(Arrays.equals(x, xPlain)).as("parameters, %d threads", threads).isTrue();
            }
        }
    }

    /** Every optimizer's parallel step against its own plain loop, with decay on a matrix next to a vector. */
    @Test
    void eachOptimizersParallelStepIsItsPlainLoop() {
        Parameters p = tensors("W", new int[] {300, 170}, "b", new int[] {170}, "V", new int[] {20, 300}, "c", new int[] {7});
        for (String name : Optimizers.names()) {
            Settings s = TrainingSettings.book().with(TrainingSettings.OPTIMIZER, name).with(TrainingSettings.WEIGHT_DECAY, 0.01);
            float[] x0 = random(p.size(), 1, 7);
            float[] serial = x0.clone(), parallel = x0.clone();
            try (Workers one = Workers.serial(); Workers three = new Workers(3)) {
                ElementwiseOptimizer a = (ElementwiseOptimizer) Optimizers.create(s, p, one), b = (ElementwiseOptimizer) Optimizers.create(s, p, three);
                for (int t = 1; t <= 3; t++) {
                    float[] g = random(p.size(), 0.1, 10 + t);
                    a.stepSerially(serial, g, 0.01, t);
                    b.step(parallel, g, 0.01, t);
                }
            }
            assertThat(Arrays.equals(parallel, serial)).as(name).isTrue();
            assertThat(Arrays.equals(parallel, x0)).as(name + " moved").isFalse();
        }
    }

    /** Weight decay reaches the matrices and never the bias vectors. */
    @Test
    void weightDecayLeavesTheBiasesAlone() {
        Parameters p = matrixAndBias(4, 3);
        for (String name : new String[] {"sgd", "adam", "adamw", "rmsprop"}) {
            Settings with = TrainingSettings.book().with(TrainingSettings.OPTIMIZER, name).with(TrainingSettings.WEIGHT_DECAY, 0.5);
            Settings without = with.with(TrainingSettings.WEIGHT_DECAY, 0.0);
            float[] x0 = random(p.size(), 1, 3), g = random(p.size(), 0.1, 4);
            float[] a = x0.clone(), b = x0.clone();
            try (Workers w = Workers.serial()) {
                Optimizers.create(with, p, w).step(a, g, 0.1, 1);
                Optimizers.create(without, p, w).step(b, g, 0.1, 1);
            }
            Parameters.Tensor bias = p.tensor("b"), matrix = p.tensor("W");
            assertThat(p.read(bias, a)).as(name + " bias").containsExactly(p.read(bias, b));
            assertThat(Arrays.equals(p.read(matrix, a), p.read(matrix, b))).as(name + " matrix decays").isFalse();
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
