package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.ReferenceKernels;
import charlm.kernels.Workers;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gradient of the hand-written backward passes against central finite differences of the
 * double-precision oracle {@link DoubleNet}: every registered cell (RNN with tanh and ReLU, GRU,
 * LSTM, and the tests' own minimal gated unit), one to three layers, one-hot and embedding inputs, a
 * carried-in state, a gradient arriving from later steps, and the state's own gradient.
 * Tolerance: |analytic − numeric| ≤ 2e-4 · max(1, max|numeric|) per tensor, for float analytic
 * gradients against O(ε²) ≈ 1e-10 accurate differences (ε = 1e-5).
 */
class GradientCheckTest {
    static final int V = 7, H = 6, B = 3, T = 4, E = 5;
    static final double EPS = 1e-5, TOL = 2e-4;

    /**
     * Every registered cell (the test-only {@link MinimalGatedLayer} too) with one and two layers,
     * one-hot and embedding inputs, reference and default kernels, and three embedded layers on the
     * reference kernels; a cell that takes an activation gets each of them on one layer.
     */
    static Stream<Arguments> variants() {
        MinimalGatedLayer.register();
        List<Arguments> all = new ArrayList<>();
        for (CellType cell : Cells.all()) {
            List<Activation> acts = cell.usesActivation() ? List.of(Activation.values()) : List.of(Activation.TANH);
            for (Activation act : acts) {
                for (String k : new String[] {"reference", "default"}) {
                    all.add(Arguments.of(cell, 1, act, InputKind.ONEHOT, k));
                    all.add(Arguments.of(cell, 1, act, InputKind.EMBEDDING, k));
                }
            }
            all.add(Arguments.of(cell, 2, Activation.TANH, InputKind.ONEHOT, "default"));
            all.add(Arguments.of(cell, 3, Activation.TANH, InputKind.EMBEDDING, "reference"));
        }
        return all.stream();
    }

    private static Kernels kernels(String which) {
        return which.equals("reference") ? new ReferenceKernels() : Kernels.get();
    }

    static RnnModel model(CellType cell, int layers, Activation act, InputKind in, String k, int threads, long seed) {
        RnnModel m = new RnnModel(new ModelConfig(V, H, act, in, E, cell, layers), kernels(k), new Workers(threads));
        Rng rng = new Rng(seed);
        m.initialize(rng);
        // Scale weights up from the chapter's 0.01 so activations leave the linear regime, and give
        // the biases values, so every term of the backward pass matters.
        for (int i = 0; i < m.params.size(); i++) m.params.data[i] = (float) (rng.nextGaussian() * 0.5);
        return m;
    }

    private static int[] tokens(Rng rng, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(V);
        return t;
    }

    private static float[] randomState(Rng rng, int n, double scale) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = (float) (rng.nextGaussian() * scale);
        return s;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @ParameterizedTest(name = "{0} x{1} {2} {3} {4} kernels")
    @MethodSource("variants")
    void everyParameterAndTheStateMatchFiniteDifferences(CellType cell, int layers, Activation act, InputKind in, String k) {
        assertEveryGradientMatchesTheOracle(model(cell, layers, act, in, k, 1, 11));
    }

    /**
     * One forward and backward from a random state with a random gradient arriving at the final
     * state: the loss and final state against {@link DoubleNet}, every parameter's gradient and the
     * initial state's against its finite differences. The model has vocabulary V and runs on B = 3.
     */
    static void assertEveryGradientMatchesTheOracle(RnnModel m) {
        assertEveryGradientMatchesTheOracle(m, 0);
    }

    /** As above, with dropout p on every layer's outputs: the oracle applies the tape's own masks. */
    static void assertEveryGradientMatchesTheOracle(RnnModel m, double dropout) {
        Rng rng = new Rng(5);
        int[] x = tokens(rng, B * T), y = tokens(rng, B * T);
        int stateSize = m.config.stateSize(B);
        float[] h0 = randomState(rng, stateSize, 0.5);     // a carried-in state, not zeros
        float[] probe = randomState(rng, stateSize, 0.3);  // gradient arriving at the final state from later steps

        Tape tape = m.newTape(B, T);
        tape.setDropout(dropout, 0x5EEDL);
        float[] state = h0.clone();
        m.forward(tape, x, state, true);
        double loss = m.loss(tape, y);
        m.params.zeroGrad();
        float[] dH0 = new float[stateSize];
        m.backward(tape, probe, dH0);

        DoubleNet oracle = new DoubleNet(m);
        if (dropout > 0) {
            oracle.masks = new float[m.config.layers()][];
            for (int l = 0; l < oracle.masks.length; l++) oracle.masks[l] = tape.mask(l).clone();
        }
        double[] h0d = toDouble(h0), probeD = toDouble(probe);
        double[] hT = new double[stateSize];
        double oracleCe = oracle.loss(x, y, B, T, h0d, null, true, hT);
        assertThat(loss).as("forward loss").isCloseTo(oracleCe, org.assertj.core.data.Offset.offset(1e-5));
        for (int i = 0; i < hT.length; i++) assertThat((double) state[i]).as("h_T[%d]", i).isCloseTo(hT[i], org.assertj.core.data.Offset.offset(1e-5));

        DoubleSupplier f = () -> oracle.loss(x, y, B, T, h0d, probeD, true, null);
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] analytic = m.params.read(t, m.params.grad);
            assertClose(t.name(), analytic, numeric(oracle.p.get(t.name()), f));
        }
        assertClose("dh0", dH0, numeric(h0d, f));
    }

    /** Dropout between layers and before the output layer, with the masks fixed: every gradient still matches. */
    @ParameterizedTest(name = "{0} x{1} {2} {3} {4} kernels")
    @MethodSource("variants")
    void withDropoutEveryGradientMatches(CellType cell, int layers, Activation act, InputKind in, String k) {
        assertEveryGradientMatchesTheOracle(model(cell, layers, act, in, k, 2, 14), 0.4);
    }

    @ParameterizedTest(name = "{0} x{1} {2} {3} {4} kernels")
    @MethodSource("variants")
    void stateGradientAloneFlowsBackThroughAnEarlierMinibatch(CellType cell, int layers, Activation act, InputKind in, String k) {
        // Training without detaching: minibatch 1's loss reaches minibatch 0's parameters through the state.
        RnnModel m = model(cell, layers, act, in, k, 1, 12);
        Rng rng = new Rng(6);
        int[] x0 = tokens(rng, B * T), y0 = tokens(rng, B * T), x1 = tokens(rng, B * T), y1 = tokens(rng, B * T);
        Tape t0 = m.newTape(B, T), t1 = m.newTape(B, T);
        float[] state = m.beginState(B);
        m.forward(t0, x0, state, true);
        m.loss(t0, y0);
        m.forward(t1, x1, state, true);
        m.loss(t1, y1);
        m.params.zeroGrad();
        float[] carried = m.beginState(B);
        m.backward(t1, null, carried, true);
        m.backward(t0, carried, null, false);

        DoubleNet oracle = new DoubleNet(m);
        int n = m.config.stateSize(B);
        DoubleSupplier f = () -> {
            double[] mid = new double[n];
            oracle.loss(x0, y0, B, T, new double[n], null, false, mid);
            return oracle.loss(x1, y1, B, T, mid, null, true, null);
        };
        for (Parameters.Tensor t : m.params.tensors()) {
            assertClose(t.name(), m.params.read(t, m.params.grad), numeric(oracle.p.get(t.name()), f));
        }
    }

    @ParameterizedTest(name = "{0} x{1} {2} {3} {4} kernels")
    @MethodSource("variants")
    void gradientsDoNotDependOnTheThreadCount(CellType cell, int layers, Activation act, InputKind in, String k) {
        float[][] grads = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            RnnModel m = model(cell, layers, act, in, k, threads, 13);
            Rng rng = new Rng(7);
            int[] x = tokens(rng, B * T), y = tokens(rng, B * T);
            Tape tape = m.newTape(B, T);
            m.forward(tape, x, m.beginState(B), true);
            m.loss(tape, y);
            m.params.zeroGrad();
            m.backward(tape, null, null);
            grads[threads - 1] = m.params.grad.clone();
            m.workers().close();
        }
        assertThat(grads[1]).containsExactly(grads[0]);
        assertThat(grads[2]).containsExactly(grads[0]);
    }

    private static double[] numeric(double[] param, DoubleSupplier f) {
        double[] g = new double[param.length];
        for (int i = 0; i < param.length; i++) {
            double keep = param[i];
            param[i] = keep + EPS;
            double up = f.getAsDouble();
            param[i] = keep - EPS;
            double down = f.getAsDouble();
            param[i] = keep;
            g[i] = (up - down) / (2 * EPS);
        }
        return g;
    }

    private static void assertClose(String what, float[] analytic, double[] numeric) {
        assertThat(analytic).as(what + " size").hasSize(numeric.length);
        double scale = 1;
        for (double d : numeric) scale = Math.max(scale, Math.abs(d));
        double worst = 0;
        int at = -1;
        for (int i = 0; i < numeric.length; i++) {
            double err = Math.abs(analytic[i] - numeric[i]);
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        assertThat(worst).as("%s: worst |analytic - numeric| at %d (analytic %s, numeric %s)", what, at,
                at < 0 ? "" : analytic[at], at < 0 ? "" : numeric[at]).isLessThanOrEqualTo(TOL * scale);
        // And the gradient is not trivially zero: the check would pass on nothing.
        double norm = 0;
        for (double d : numeric) norm += d * d;
        assertThat(norm).as(what + " numeric gradient is non-zero").isGreaterThan(1e-12);
    }
}
