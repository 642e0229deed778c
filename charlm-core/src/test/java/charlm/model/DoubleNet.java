package charlm.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Any charlm model's forward pass written again, plainly and in double precision, straight from the
 * book's equations (RNN, GRU, LSTM; stacked layers; one-hot or embedding input): the oracle whose
 * finite differences check the float backward passes. Parameters are read by name in the chapter's
 * shapes, so a wrong layout in charlm would show up as a mismatch too.
 *
 * loss = mean cross-entropy over T·B outputs (if withOutputs) + Σ c ⊙ final state (a linear probe
 * standing for gradient that arrives from later minibatches).
 */
final class DoubleNet {
    final ModelConfig c;
    final Map<String, double[]> p = new LinkedHashMap<>();

    DoubleNet(RnnModel m) {
        this.c = m.config;
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] f = m.params.read(t, m.params.data);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            p.put(t.name(), d);
        }
    }

    private String prefix(int l) {
        return c.layers() == 1 ? "" : "l" + l + ".";
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** x (B, D) · W (D, H) + b, one row. */
    private static double affine(double[] x, int xOff, int d, double[] w, int h, int j) {
        double s = 0;
        for (int k = 0; k < d; k++) s += x[xOff + k] * w[k * h + j];
        return s;
    }

    /**
     * @param state0 initial state, model layout: layer, slot (h, c), (B, H); not modified
     * @param probe  coefficients on the final state (same layout), or null
     * @param stateOut if not null, receives the final state
     */
    double loss(int[] x, int[] y, int bs, int steps, double[] state0, double[] probe, boolean withOutputs, double[] stateOut) {
        int h = c.hiddens(), v = c.vocabSize(), slots = c.stateSlots();
        double[] state = state0.clone();
        double total = 0;
        for (int t = 0; t < steps; t++) {
            // the input rows of layer 0
            int d = c.input() == InputKind.EMBEDDING ? c.embedDim() : v;
            double[] in = new double[bs * d];
            for (int b = 0; b < bs; b++) {
                int tok = x[b * steps + t];
                if (c.input() == InputKind.EMBEDDING) System.arraycopy(p.get("W_embed"), tok * d, in, b * d, d);
                else in[b * d + tok] = 1; // one-hot, multiplied out in full: the oracle does not gather
            }
            for (int l = 0; l < c.layers(); l++) {
                String q = prefix(l);
                int hOff = (l * slots) * bs * h, cOff = (l * slots + 1) * bs * h;
                double[] out = new double[bs * h];
                for (int b = 0; b < bs; b++) {
                    double[] hp = new double[h];
                    System.arraycopy(state, hOff + b * h, hp, 0, h);
                    for (int j = 0; j < h; j++) {
                        switch (c.cell()) {
                            case RNN -> {
                                double a = p.get(q + "b_h")[j] + affine(in, b * d, d, p.get(q + "W_xh"), h, j) + affine(hp, 0, h, p.get(q + "W_hh"), h, j);
                                out[b * h + j] = c.activation() == Activation.RELU ? Math.max(a, 0) : Math.tanh(a);
                            }
                            case GRU -> {
                                double z = sigmoid(p.get(q + "b_z")[j] + affine(in, b * d, d, p.get(q + "W_xz"), h, j) + affine(hp, 0, h, p.get(q + "W_hz"), h, j));
                                double[] rh = new double[h];
                                for (int i = 0; i < h; i++) {
                                    double r = sigmoid(p.get(q + "b_r")[i] + affine(in, b * d, d, p.get(q + "W_xr"), h, i) + affine(hp, 0, h, p.get(q + "W_hr"), h, i));
                                    rh[i] = r * hp[i];
                                }
                                double cand = Math.tanh(p.get(q + "b_h")[j] + affine(in, b * d, d, p.get(q + "W_xh"), h, j) + affine(rh, 0, h, p.get(q + "W_hh"), h, j));
                                out[b * h + j] = z * hp[j] + (1 - z) * cand;
                            }
                            case LSTM -> {
                                double i = sigmoid(p.get(q + "b_i")[j] + affine(in, b * d, d, p.get(q + "W_xi"), h, j) + affine(hp, 0, h, p.get(q + "W_hi"), h, j));
                                double f = sigmoid(p.get(q + "b_f")[j] + affine(in, b * d, d, p.get(q + "W_xf"), h, j) + affine(hp, 0, h, p.get(q + "W_hf"), h, j));
                                double o = sigmoid(p.get(q + "b_o")[j] + affine(in, b * d, d, p.get(q + "W_xo"), h, j) + affine(hp, 0, h, p.get(q + "W_ho"), h, j));
                                double cand = Math.tanh(p.get(q + "b_c")[j] + affine(in, b * d, d, p.get(q + "W_xc"), h, j) + affine(hp, 0, h, p.get(q + "W_hc"), h, j));
                                double cell = f * state[cOff + b * h + j] + i * cand;
                                out[b * h + j] = o * Math.tanh(cell);
                                state[cOff + b * h + j] = cell; // this row's C is only read for this j, before here
                            }
                        }
                    }
                }
                System.arraycopy(out, 0, state, hOff, bs * h);
                in = out;
                d = h;
            }
            if (!withOutputs) continue;
            double[] wHq = p.get("W_hq"), bQ = p.get("b_q");
            for (int b = 0; b < bs; b++) {
                double[] o = new double[v];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    o[k] = bQ[k] + affine(in, b * h, h, wHq, v, k);
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
