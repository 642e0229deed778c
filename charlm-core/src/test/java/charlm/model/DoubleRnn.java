package charlm.model;

/**
 * The chapter's forward pass written again, plainly and in double precision, over parameters in
 * the chapter's shapes: the oracle whose finite differences check the float backward pass.
 * loss = mean cross-entropy over T·B outputs + Σ c ⊙ h_T (an optional linear probe on the final
 * state, standing for gradient that arrives from later minibatches).
 */
final class DoubleRnn {
    final int v, h, e;
    final boolean relu;
    double[] wEmbed; // (V, E) or null
    double[] wXh;    // (V or E, H)
    double[] wHh;    // (H, H)
    double[] bH;     // (H)
    double[] wHq;    // (H, V) the chapter's shape
    double[] bQ;     // (V)

    DoubleRnn(RnnModel m) {
        this.v = m.config.vocabSize();
        this.h = m.config.hiddens();
        this.e = m.config.embedDim();
        this.relu = m.config.activation() == Activation.RELU;
        Parameters p = m.params;
        if (m.config.input() == InputKind.EMBEDDING) wEmbed = read(p, RnnModel.Names.W_EMBED);
        wXh = read(p, RnnModel.Names.W_XH);
        wHh = read(p, RnnModel.Names.W_HH);
        bH = read(p, RnnModel.Names.B_H);
        wHq = read(p, RnnModel.Names.W_HQ);
        bQ = read(p, RnnModel.Names.B_Q);
    }

    private static double[] read(Parameters p, String name) {
        float[] f = p.read(p.tensor(name), p.data);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The array holding a named parameter, in the chapter's shape. */
    double[] get(String name) {
        return switch (name) {
            case RnnModel.Names.W_EMBED -> wEmbed;
            case RnnModel.Names.W_XH -> wXh;
            case RnnModel.Names.W_HH -> wHh;
            case RnnModel.Names.B_H -> bH;
            case RnnModel.Names.W_HQ -> wHq;
            case RnnModel.Names.B_Q -> bQ;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * @param x     (B, T) inputs, y (B, T) targets
     * @param h0    (B, H) initial state (modified copy is not kept)
     * @param probe (B, H) coefficients c of Σ c ⊙ h_T, or null
     * @param withOutputs whether the cross-entropy term is included
     * @param hOut  if not null, receives h_T
     */
    double loss(int[] x, int[] y, int bs, int steps, double[] h0, double[] probe, boolean withOutputs, double[] hOut) {
        double[] state = h0.clone();
        double total = 0;
        for (int t = 0; t < steps; t++) {
            double[] next = new double[bs * h];
            for (int b = 0; b < bs; b++) {
                int tok = x[b * steps + t];
                for (int j = 0; j < h; j++) {
                    double a = bH[j];
                    if (wEmbed == null) {
                        a += wXh[tok * h + j];
                    } else {
                        for (int k = 0; k < e; k++) a += wEmbed[tok * e + k] * wXh[k * h + j];
                    }
                    for (int i = 0; i < h; i++) a += state[b * h + i] * wHh[i * h + j];
                    next[b * h + j] = relu ? Math.max(a, 0) : Math.tanh(a);
                }
            }
            state = next;
            if (!withOutputs) continue;
            for (int b = 0; b < bs; b++) {
                double[] o = new double[v];
                double max = Double.NEGATIVE_INFINITY;
                for (int q = 0; q < v; q++) {
                    double s = bQ[q];
                    for (int j = 0; j < h; j++) s += state[b * h + j] * wHq[j * v + q];
                    o[q] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int q = 0; q < v; q++) sum += Math.exp(o[q] - max);
                total += Math.log(sum) + max - o[y[b * steps + t]];
            }
        }
        double loss = withOutputs ? total / (bs * steps) : 0;
        if (probe != null) for (int i = 0; i < probe.length; i++) loss += probe[i] * state[i];
        if (hOut != null) System.arraycopy(state, 0, hOut, 0, state.length);
        return loss;
    }
}
