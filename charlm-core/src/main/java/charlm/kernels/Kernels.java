package charlm.kernels;

/**
 * The numeric kernels of the model, on flat row-major float arrays with offsets and leading
 * dimensions. Every product adds into C ({@code C += ...}), so gradients accumulate and a caller
 * can split C into row or column blocks across threads. No kernel splits the sum over k, so a
 * result does not depend on how C was split.
 *
 * <p>{@link ReferenceKernels} is the plain oracle; {@link VectorKernels} the fast path (Vector API).
 * {@link #get()} picks one from the system property {@code charlm.kernels} (vector | reference).
 */
public interface Kernels {

    String name();

    /** What a reader comparing runs needs beside the name (the vector kernels: lanes and register blocks), or "". */
    default String detail() {
        return "";
    }

    /** C(m, n) += A(m, k) · B(k, n). */
    void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc);

    /** C(m, n) += Aᵀ · B, with A stored as (k, m) and B as (k, n). */
    void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc);

    /**
     * Columns per panel of the B operand of {@link #gemmTNPanels}; it divides 64, so the column
     * block of 64 that a part owns is whole panels.
     */
    int panelWidth();

    /**
     * C(m, n) += Aᵀ · B as {@link #gemmTN}, with B (k, n) given as column panels: columns
     * [q·w, q·w + w) of B, w = {@link #panelWidth()}, are a (k, w) row-major block at bOff + q·w·k
     * (the last panel is narrower when w does not divide n). {@link #packPanels} lays them out. The
     * weight gradients over all T·B rows read B this way: packed once, where each thread would
     * otherwise copy all of B for the rows of C it owns. Every element is the chain gemmTN computes.
     */
    void gemmTNPanels(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, float[] c, int cOff, int ldc);

    /**
     * Rows [p0, p1) and columns [j0, j1) of B (k, n; row-major from bOff with leading dimension ldb)
     * into the panels of {@link #gemmTNPanels} for panel width w, at dst from dOff; j0 and j1 on panel
     * edges (or j1 = n). Callers pack disjoint blocks on several threads at once: the model packs each
     * step's rows of its dA as soon as a part has computed them.
     */
    static void packPanels(int k, int n, int w, float[] b, int bOff, int ldb, int p0, int p1, int j0, int j1, float[] dst, int dOff) {
        for (int q0 = j0; q0 < j1; q0 += w) {
            int width = Math.min(w, n - q0), panel = dOff + q0 * k;
            for (int p = p0; p < p1; p++) System.arraycopy(b, bOff + p * ldb + q0, dst, panel + p * width, width);
        }
    }

    /** C(m, n) += A(m, k) · Bᵀ, with B stored as (n, k). */
    void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc);

    /** x[off .. off+len) = tanh(x) in place. */
    void tanh(float[] x, int off, int len);

    /**
     * x[off .. off+len) = σ(x) = (1 + tanh(x/2)) / 2 in place, on this kernel set's tanh, rounded as
     * the three steps would be one after another: x·0.5, tanh, then ·0.5 and +0.5 (no fused multiply-add).
     */
    void sigmoid(float[] x, int off, int len);

    /** dA = dH ⊙ (1 − H²), the tanh derivative written through its output. */
    void tanhBackward(float[] dh, int dhOff, float[] h, int hOff, float[] da, int daOff, int len);

    /**
     * The forward of an LSTM step's cell (the model's LstmLayer), elementwise over len columns: the
     * pre-activations in gates[0..3] at off become, in place, I, F, O = σ(·) and C̃ = tanh(·); then
     *   C = F ⊙ C_prev + I ⊙ C̃ (each product rounded, then the sum) into c at cOff, C_prev read at cPrevOff,
     *   tanh(C) into tanhC at off, and H = O ⊙ tanh(C) into h at hOff,
     * on this kernel set's σ and tanh. This default is the definition, the passes one after another;
     * an override gives its bits.
     */
    default void lstmCellForward(float[][] gates, int off, float[] cPrev, int cPrevOff, float[] c, int cOff,
                                 float[] tanhC, float[] h, int hOff, int len) {
        float[] gi = gates[0], gf = gates[1], go = gates[2], gc = gates[3];
        sigmoid(gi, off, len);
        sigmoid(gf, off, len);
        sigmoid(go, off, len);
        tanh(gc, off, len);
        for (int j = 0; j < len; j++) {
            float cj = gf[off + j] * cPrev[cPrevOff + j] + gi[off + j] * gc[off + j];
            c[cOff + j] = cj;
            tanhC[off + j] = cj;
        }
        tanh(tanhC, off, len);
        for (int j = 0; j < len; j++) h[hOff + j] = go[off + j] * tanhC[off + j];
    }

    /**
     * The backward of an LSTM step's cell (the model's LstmLayer, whose comment has the forward),
     * elementwise over len columns, given dH at off (the gradient reaching H) and the carried cell
     * gradient dc at dcOff (reaching C from the next step), with the gates I, F, O (after σ), the
     * candidate C̃ (after tanh), each in gates[0..3], and tanh(C), all at off, and C_prev at cPrevOff:
     *   dC = dc + dH ⊙ O ⊙ (1 − tanh²(C)); dc becomes dC ⊙ F (what reaches C_prev)
     *   dA_I = dC ⊙ C̃ ⊙ I(1 − I), dA_F = dC ⊙ C_prev ⊙ F(1 − F),
     *   dA_O = dH ⊙ tanh(C) ⊙ O(1 − O), dA_C̃ = dC ⊙ I ⊙ (1 − C̃²)
     * into dA[0..3] at off, each product rounded on its own, left to right as written. This default
     * is the definition; an override gives its bits.
     */
    default void lstmCellBackward(float[] dh, float[][] gates, float[] tanhC, int off, float[] cPrev, int cPrevOff,
                                  float[] dc, int dcOff, float[][] dA, int len) {
        float[] gi = gates[0], gf = gates[1], go = gates[2], gc = gates[3];
        float[] dAi = dA[0], dAf = dA[1], dAo = dA[2], dAc = dA[3];
        for (int j = 0; j < len; j++) {
            float d = dh[off + j];
            float i = gi[off + j], f = gf[off + j], o = go[off + j], g = gc[off + j], th = tanhC[off + j];
            float dC = dc[dcOff + j] + d * o * (1f - th * th);
            dc[dcOff + j] = dC * f;
            dAi[off + j] = dC * g * i * (1f - i);
            dAf[off + j] = dC * cPrev[cPrevOff + j] * f * (1f - f);
            dAo[off + j] = d * th * o * (1f - o);
            dAc[off + j] = dC * i * (1f - g * g);
        }
    }

    /**
     * A GRU step's gates (the model's GruLayer), elementwise over len columns: the update and reset
     * pre-activations z and r at off become Z = σ(z) and R = σ(r) in place, and R ⊙ H_{t−1} (H_{t−1}
     * at hPrevOff) goes into rh at off, on this kernel set's σ. This default is the definition, the
     * passes one after another; an override gives its bits.
     */
    default void gruGatesForward(float[] z, float[] r, int off, float[] hPrev, int hPrevOff, float[] rh, int len) {
        sigmoid(z, off, len);
        sigmoid(r, off, len);
        for (int j = 0; j < len; j++) rh[off + j] = r[off + j] * hPrev[hPrevOff + j];
    }

    /**
     * A GRU step's new state, elementwise over len columns: the candidate's pre-activation at off
     * becomes H̃ = tanh(·) in place, and H = Z ⊙ H_{t−1} + (1 − Z) ⊙ H̃ (each product rounded, then
     * the sum; Z at off, H_{t−1} at hPrevOff) goes into h at hOff, on this kernel set's tanh. This
     * default is the definition; an override gives its bits.
     */
    default void gruStateForward(float[] hc, float[] z, int off, float[] hPrev, int hPrevOff, float[] h, int hOff, int len) {
        tanh(hc, off, len);
        for (int j = 0; j < len; j++) {
            float zj = z[off + j];
            h[hOff + j] = zj * hPrev[hPrevOff + j] + (1f - zj) * hc[off + j];
        }
    }

    /**
     * The first part of a GRU step's backward (the model's GruLayer, whose comment has the forward and
     * the derivation), elementwise over len columns, given dH at off (the gradient reaching H_t), the
     * update gate Z (after σ) and the candidate H̃ (after tanh) at off, and H_{t−1} at hPrevOff:
     *   dA_h = dH ⊙ (1 − Z) ⊙ (1 − H̃²),  dA_z = dH ⊙ (H_{t−1} − H̃) ⊙ Z(1 − Z)  into dAh, dAz at off
     *   dPrev = dH ⊙ Z  at dPrevOff (what reaches H_{t−1} directly)
     * each product rounded on its own, left to right as written. This default is the definition; an
     * override gives its bits.
     */
    default void gruGateBackward(float[] dh, float[] z, float[] hc, int off, float[] hPrev, int hPrevOff,
                                 float[] dAh, float[] dAz, float[] dPrev, int dPrevOff, int len) {
        for (int j = 0; j < len; j++) {
            float d = dh[off + j], zj = z[off + j], h = hc[off + j];
            dAh[off + j] = d * (1f - zj) * (1f - h * h);
            dAz[off + j] = d * (hPrev[hPrevOff + j] - h) * zj * (1f - zj);
            dPrev[dPrevOff + j] = d * zj;
        }
    }

    /**
     * The second part of a GRU step's backward, through the reset gate, elementwise over len columns,
     * given dRH at sOff (the gradient reaching R_t ⊙ H_{t−1}), R (after σ) at off and H_{t−1} at hPrevOff:
     *   dA_r = dRH ⊙ H_{t−1} ⊙ R(1 − R)  into dAr at off,   dPrev += dRH ⊙ R  at sOff
     * each product rounded on its own, left to right as written. This default is the definition.
     */
    default void gruResetBackward(float[] dRH, float[] dPrev, int sOff, float[] r, float[] dAr, int off,
                                  float[] hPrev, int hPrevOff, int len) {
        for (int j = 0; j < len; j++) {
            float rj = r[off + j], d = dRH[sOff + j];
            dAr[off + j] = d * hPrev[hPrevOff + j] * rj * (1f - rj);
            dPrev[sOff + j] += d * rj;
        }
    }

    /** x[off .. off+len) = max(x, 0) in place. */
    void relu(float[] x, int off, int len);

    /** dA = dH where H > 0, else 0 (H = relu(A) > 0 exactly when A > 0). */
    void reluBackward(float[] dh, int dhOff, float[] h, int hOff, float[] da, int daOff, int len);

    /** y[yOff .. yOff+len) += x[xOff .. xOff+len): bias gradients and the scatter of a gather's gradient. */
    void add(float[] x, int xOff, float[] y, int yOff, int len);

    /**
     * The fp32 peak of the pool's threads together, in GFLOP/s, measured now with vector fused
     * multiply-adds on registers (a few rounds of about 60 ms; see FmaPeak), or NaN where the Vector
     * API module is not loaded. What {@code bench} divides its achieved rate by.
     */
    static double measuredPeakGflops(Workers workers) {
        return KernelChoice.measuredPeak(workers);
    }

    /** The kernels chosen by {@code -Dcharlm.kernels=vector|reference} (default vector where it loads). */
    static Kernels get() {
        return KernelChoice.CHOSEN;
    }
}
