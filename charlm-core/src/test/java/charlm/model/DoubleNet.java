package charlm.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Any charlm model's forward pass written again, plainly and in double precision, straight from the
 * book's equations (stacked layers of any registered cell; one-hot or embedding input): the oracle
 * whose finite differences check the float backward passes. Parameters are read by name in the
 * chapter's shapes, so a wrong layout in charlm would show up as a mismatch too. Each cell's step is
 * one method, found by the cell's name in {@link #STEPS}.
 *
 * loss = mean cross-entropy over T·B outputs (if withOutputs) + Σ c ⊙ final state (a linear probe
 * standing for gradient that arrives from later minibatches).
 */
final class DoubleNet {

    /** One step of one cell for one sequence: the next state from the input row x (D) and the state. */
    @FunctionalInterface
    interface Step {
        /**
         * @param state the layer's state slots for this sequence, each (H): h, and c for a two-slot
         *              cell; replaced by the state after the step
         */
        void step(Layer w, double[] x, double[][] state);
    }

    /** The double-precision step of every cell, by the cell's name. */
    static final Map<String, Step> STEPS = new ConcurrentHashMap<>(Map.of(
            "rnn", DoubleNet::rnn,
            "gru", DoubleNet::gru,
            "lstm", DoubleNet::lstm));

    /** One layer's parameters, by their names without the layer's prefix. */
    record Layer(Map<String, double[]> p, String prefix, int hidden, Activation activation) {
        double[] get(String name) {
            double[] t = p.get(prefix + name);
            if (t == null) throw new IllegalArgumentException("no parameter " + prefix + name);
            return t;
        }

        /** b[j] + (x W_x)[j] + (h W_h)[j]: a gate's pre-activation, unit j. */
        double affine(String b, String wx, double[] x, String wh, double[] h, int j) {
            return get(b)[j] + times(x, get(wx), hidden, j) + times(h, get(wh), hidden, j);
        }
    }

    final ModelConfig c;
    final Map<String, double[]> p = new LinkedHashMap<>();
    /** Dropout masks of each layer's outputs, (T, B, H) time-major as the model's tape keeps them, or null for none. */
    float[][] masks;

    DoubleNet(RnnModel m) {
        this.c = m.config;
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] f = m.params.read(t, m.params.data);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            p.put(t.name(), d);
        }
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** (x W)[j] for a row x (D) and W (D, H). */
    static double times(double[] x, double[] w, int h, int j) {
        double s = 0;
        for (int k = 0; k < x.length; k++) s += x[k] * w[k * h + j];
        return s;
    }

    // ------------------------------------------------------------------ the cells

    /** H_t = φ(X_t W_xh + H_{t−1} W_hh + b_h). */
    static void rnn(Layer w, double[] x, double[][] state) {
        double[] h = state[0], out = new double[w.hidden()];
        for (int j = 0; j < out.length; j++) {
            double a = w.affine("b_h", "W_xh", x, "W_hh", h, j);
            out[j] = w.activation() == Activation.RELU ? Math.max(a, 0) : Math.tanh(a);
        }
        state[0] = out;
    }

    /** Z, R = σ(...); H̃ = tanh(X W_xh + (R ⊙ H) W_hh + b_h); H_t = Z ⊙ H + (1 − Z) ⊙ H̃. */
    static void gru(Layer w, double[] x, double[][] state) {
        int n = w.hidden();
        double[] h = state[0], rh = new double[n], out = new double[n];
        for (int i = 0; i < n; i++) rh[i] = sigmoid(w.affine("b_r", "W_xr", x, "W_hr", h, i)) * h[i];
        for (int j = 0; j < n; j++) {
            double z = sigmoid(w.affine("b_z", "W_xz", x, "W_hz", h, j));
            double cand = Math.tanh(w.affine("b_h", "W_xh", x, "W_hh", rh, j));
            out[j] = z * h[j] + (1 - z) * cand;
        }
        state[0] = out;
    }

    /** I, F, O = σ(...), C̃ = tanh(...); C_t = F ⊙ C + I ⊙ C̃; H_t = O ⊙ tanh(C_t). */
    static void lstm(Layer w, double[] x, double[][] state) {
        int n = w.hidden();
        double[] h = state[0], cell = state[1], hOut = new double[n], cOut = new double[n];
        for (int j = 0; j < n; j++) {
            double i = sigmoid(w.affine("b_i", "W_xi", x, "W_hi", h, j));
            double f = sigmoid(w.affine("b_f", "W_xf", x, "W_hf", h, j));
            double o = sigmoid(w.affine("b_o", "W_xo", x, "W_ho", h, j));
            double cand = Math.tanh(w.affine("b_c", "W_xc", x, "W_hc", h, j));
            cOut[j] = f * cell[j] + i * cand;
            hOut[j] = o * Math.tanh(cOut[j]);
        }
        state[0] = hOut;
        state[1] = cOut;
    }

    // ------------------------------------------------------------------ the network

    private String prefix(int l) {
        return c.layers() == 1 ? "" : "l" + l + ".";
    }

    /**
     * @param state0 initial state, model layout: layer, slot (h, c), (B, H); not modified
     * @param probe  coefficients on the final state (same layout), or null
     * @param stateOut if not null, receives the final state
     */
    double loss(int[] x, int[] y, int bs, int steps, double[] state0, double[] probe, boolean withOutputs, double[] stateOut) {
        int h = c.hiddens(), v = c.vocabSize(), slots = c.stateSlots();
        Step cell = STEPS.get(c.cell().name());
        if (cell == null) throw new IllegalArgumentException("no double-precision step for cell " + c.cell().name());
        double[] state = state0.clone();
        double total = 0;
        for (int t = 0; t < steps; t++) {
            // the input rows of layer 0
            int d = c.input() == InputKind.EMBEDDING ? c.embedDim() : v;
            double[][] in = new double[bs][d];
            for (int b = 0; b < bs; b++) {
                int tok = x[b * steps + t];
                if (c.input() == InputKind.EMBEDDING) System.arraycopy(p.get("W_embed"), tok * d, in[b], 0, d);
                else in[b][tok] = 1; // one-hot, multiplied out in full: the oracle does not gather
            }
            for (int l = 0; l < c.layers(); l++) {
                Layer w = new Layer(p, prefix(l), h, c.activation());
                for (int b = 0; b < bs; b++) {
                    double[][] s = new double[slots][h];
                    for (int k = 0; k < slots; k++) System.arraycopy(state, ((l * slots + k) * bs + b) * h, s[k], 0, h);
                    cell.step(w, in[b], s);
                    for (int k = 0; k < slots; k++) System.arraycopy(s[k], 0, state, ((l * slots + k) * bs + b) * h, h);
                    in[b] = s[0];
                    if (masks != null) { // what goes up is dropped; the state carried along is not
                        in[b] = s[0].clone();
                        for (int j = 0; j < h; j++) in[b][j] *= masks[l][(t * bs + b) * h + j];
                    }
                }
            }
            if (!withOutputs) continue;
            double[] wHq = p.get("W_hq"), bQ = p.get("b_q");
            for (int b = 0; b < bs; b++) {
                double[] o = new double[v];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    o[k] = bQ[k] + times(in[b], wHq, v, k);
                    max = Math.max(max, o[k]);
                }
                double sum = 0;
                for (int k = 0; k < v; k++) sum += Math.exp(o[k] - max);
                total += Math.log(sum) + max - o[y[b * steps + t]];
            }
        }
        double loss = withOutputs ? total / (bs * steps) : 0;
        if (probe != null) for (int i = 0; i < probe.length; i++) loss += probe[i] * state[i];
        if (stateOut != null) System.arraycopy(state, 0, stateOut, 0, state.length);
        return loss;
    }
}
