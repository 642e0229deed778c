package charlm.model;

import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * The gated recurrent unit, as the book's from-scratch GRU:
 *   Z_t = σ(X_t W_xz + H_{t−1} W_hz + b_z)          update gate
 *   R_t = σ(X_t W_xr + H_{t−1} W_hr + b_r)          reset gate
 *   H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t−1}) W_hh + b_h)
 *   H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
 *
 * Backward, step t, with dH_t the gradient reaching H_t and dA_* the gates' pre-activation gradients:
 *   dA_h = dH_t ⊙ (1 − Z_t) ⊙ (1 − H̃_t²),   dA_z = dH_t ⊙ (H_{t−1} − H̃_t) ⊙ Z_t(1 − Z_t)
 *   dRH  = dA_h W_hhᵀ,   dA_r = dRH ⊙ H_{t−1} ⊙ R_t(1 − R_t)
 *   dH_{t−1} += dH_t ⊙ Z_t + dRH ⊙ R_t + dA_z W_hzᵀ + dA_r W_hrᵀ
 * and over all steps: dW_hz += H_{t−1}ᵀ dA_z, dW_hr += H_{t−1}ᵀ dA_r, dW_hh += (R_t ⊙ H_{t−1})ᵀ dA_h,
 * plus the input side of each gate.
 */
final class GruLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("gru", 1, false, GruLayer::new);

    private static final int GATES = 1, CANDIDATE = 2, PREPARE = 3, BACK_GATES = 4, BACK_RESET = 5,
            BACK_STATE = 6, WEIGHTS = 7;

    private final Parameters.Tensor wXz, wHz, bZ, wXr, wHr, bR, wXh, wHh, bH;
    private final float[] whzT, whrT, whhT; // (H, H) transposes for backward

    GruLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXz = b.add(prefix + "W_xz", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHz = b.add(prefix + "W_hz", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bZ = b.add(prefix + "b_z", Parameters.Role.BIAS, hidden);
        wXr = b.add(prefix + "W_xr", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHr = b.add(prefix + "W_hr", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bR = b.add(prefix + "b_r", Parameters.Role.BIAS, hidden);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHh = b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
        whzT = new float[hidden * hidden];
        whrT = new float[hidden * hidden];
        whhT = new float[hidden * hidden];
    }

    static final class Tape extends LayerTape {
        final float[] z, r, hc, rh;    // (T, B, H): gates after σ, candidate after tanh, R ⊙ H_{t−1}
        final float[] dAz, dAr, dAh;   // (T, B, H)
        final float[] dPrev, dRH;      // (B, H) per-step scratch

        Tape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            int n = numSteps * batchSize * hidden;
            z = new float[n];
            r = new float[n];
            hc = new float[n];
            rh = new float[n];
            dAz = new float[n];
            dAr = new float[n];
            dAh = new float[n];
            dPrev = new float[batchSize * hidden];
            dRH = new float[batchSize * hidden];
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new Tape(batchSize, numSteps, hidden);
    }

    @Override
    void forwardStep(int t) {
        dispatch(GATES, t);     // Z and R need all of H_{t−1}; the candidate then needs all of R ⊙ H_{t−1}
        dispatch(CANDIDATE, t);
    }

    @Override
    void backward() {
        dispatch(PREPARE, 0);
        for (int t = tape.numSteps - 1; t >= 0; t--) {
            dispatch(BACK_GATES, t);
            dispatch(BACK_RESET, t);
            dispatch(BACK_STATE, t);
        }
        dispatch(WEIGHTS, 0);
    }

    @Override
    void phase(int phase, int t, int part, int parts) {
        Tape tp = (Tape) tape;
        int bs = tp.batchSize;
        int j0 = col0(part, parts), j1 = col1(part, parts), n = j1 - j0;
        int blk = t * bs * hidden;          // step t's (B, H) block in the per-step arrays
        int prev = tp.h(t - 1, hidden);     // H_{t−1} in hAll
        float[] w = params.data;
        switch (phase) {
            case PROJECT -> {
                int r0 = row0(part, parts, rows()), r1 = row1(part, parts, rows());
                project(tp.z, 0, wXz, bZ, r0, r1);
                project(tp.r, 0, wXr, bR, r0, r1);
                project(tp.hc, 0, wXh, bH, r0, r1);
            }
            case GATES -> {
                kernels.gemmNN(bs, n, hidden, tp.hAll, prev, hidden, w, wHz.offset() + j0, hidden, tp.z, blk + j0, hidden);
                kernels.gemmNN(bs, n, hidden, tp.hAll, prev, hidden, w, wHr.offset() + j0, hidden, tp.r, blk + j0, hidden);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden + j0;
                    sigmoid(tp.z, row, n);
                    sigmoid(tp.r, row, n);
                    int hp = prev + b * hidden + j0;
                    for (int j = 0; j < n; j++) tp.rh[row + j] = tp.r[row + j] * tp.hAll[hp + j];
                }
            }
            case CANDIDATE -> {
                kernels.gemmNN(bs, n, hidden, tp.rh, blk, hidden, w, wHh.offset() + j0, hidden, tp.hc, blk + j0, hidden);
                int out = tp.h(t, hidden);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden + j0, hp = prev + b * hidden + j0, ho = out + b * hidden + j0;
                    kernels.tanh(tp.hc, row, n);
                    for (int j = 0; j < n; j++) {
                        float z = tp.z[row + j];
                        tp.hAll[ho + j] = z * tp.hAll[hp + j] + (1f - z) * tp.hc[row + j];
                    }
                }
            }
            case PREPARE -> {
                transpose(wHz, whzT, j0, j1);
                transpose(wHr, whrT, j0, j1);
                transpose(wHh, whhT, j0, j1);
            }
            case BACK_GATES -> {
                addFinalStateGradient(t, j0, j1);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden, hp = prev + b * hidden;
                    for (int j = j0; j < j1; j++) {
                        float dh = tp.dH[row + j];
                        float z = tp.z[row + j], hc = tp.hc[row + j], hPrev = tp.hAll[hp + j];
                        tp.dAh[row + j] = dh * (1f - z) * (1f - hc * hc);
                        tp.dAz[row + j] = dh * (hPrev - hc) * z * (1f - z);
                        tp.dPrev[b * hidden + j] = dh * z;
                    }
                }
            }
            case BACK_RESET -> {
                for (int b = 0; b < bs; b++) Arrays.fill(tp.dRH, b * hidden + j0, b * hidden + j1, 0f);
                kernels.gemmNN(bs, n, hidden, tp.dAh, blk, hidden, whhT, j0, hidden, tp.dRH, j0, hidden);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden, hp = prev + b * hidden, s = b * hidden;
                    for (int j = j0; j < j1; j++) {
                        float r = tp.r[row + j], drh = tp.dRH[s + j];
                        tp.dAr[row + j] = drh * tp.hAll[hp + j] * r * (1f - r);
                        tp.dPrev[s + j] += drh * r;
                    }
                }
            }
            case BACK_STATE -> {
                kernels.gemmNN(bs, n, hidden, tp.dAz, blk, hidden, whzT, j0, hidden, tp.dPrev, j0, hidden);
                kernels.gemmNN(bs, n, hidden, tp.dAr, blk, hidden, whrT, j0, hidden, tp.dPrev, j0, hidden);
                passStateGradient(tp.dPrev, t, j0, j1);
            }
            case WEIGHTS -> {
                recurrentGradient(tp.hAll, 0, tp.dAz, wHz, part, parts);
                recurrentGradient(tp.hAll, 0, tp.dAr, wHr, part, parts);
                recurrentGradient(tp.rh, 0, tp.dAh, wHh, part, parts);
                inputGradients(tp.dAz, wXz, bZ, part, parts);
                inputGradients(tp.dAr, wXr, bR, part, parts);
                inputGradients(tp.dAh, wXh, bH, part, parts);
            }
            default -> throw new IllegalStateException("phase " + phase);
        }
    }
}
