package charlm.model;

import charlm.kernels.Kernels;
import charlm.kernels.Workers;

/**
 * Long short-term memory, as the book's from-scratch LSTM:
 *   I_t = σ(X_t W_xi + H_{t−1} W_hi + b_i),  F_t = σ(X_t W_xf + H_{t−1} W_hf + b_f),
 *   O_t = σ(X_t W_xo + H_{t−1} W_ho + b_o),  C̃_t = tanh(X_t W_xc + H_{t−1} W_hc + b_c),
 *   C_t = F_t ⊙ C_{t−1} + I_t ⊙ C̃_t,          H_t = O_t ⊙ tanh(C_t)
 * The state is (H, C).
 *
 * Backward, step t, with dH_t reaching H_t and dC carried from step t+1:
 *   dO = dH_t ⊙ tanh(C_t),  dC += dH_t ⊙ O_t ⊙ (1 − tanh²(C_t))
 *   dF = dC ⊙ C_{t−1},  dI = dC ⊙ C̃_t,  dC̃ = dC ⊙ I_t,  and dC_{t−1} = dC ⊙ F_t
 *   dA_g = dG ⊙ σ'(·) for I, F, O (G(1 − G)) and dC̃ ⊙ (1 − C̃²) for the candidate
 *   dH_{t−1} += Σ_g dA_g W_hgᵀ
 * and over all steps: dW_hg += H_{t−1}ᵀ dA_g, plus the input side of each gate.
 */
final class LstmLayer extends RecurrentLayer {
    private static final int STEP = 1, PREPARE = 2, BACK_CELL = 3, BACK_STATE = 4, WEIGHTS = 5;
    static final CellType TYPE = new CellType("lstm", 2, false, LstmLayer::new);

    private static final int I = 0, F = 1, O = 2, C = 3; // input, forget, output gate; candidate

    private final Parameters.Tensor[] wx = new Parameters.Tensor[4], wh = new Parameters.Tensor[4], bias = new Parameters.Tensor[4];
    private final float[][] whT = new float[4][]; // (H, H) transposes for backward

    LstmLayer(Setup s, Parameters.Builder b) {
        super(s);
        wx[I] = b.add(prefix + "W_xi", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wh[I] = b.add(prefix + "W_hi", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bias[I] = b.add(prefix + "b_i", Parameters.Role.BIAS, hidden);
        wx[F] = b.add(prefix + "W_xf", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wh[F] = b.add(prefix + "W_hf", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bias[F] = b.add(prefix + "b_f", Parameters.Role.FORGET_GATE_BIAS, hidden);
        wx[O] = b.add(prefix + "W_xo", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wh[O] = b.add(prefix + "W_ho", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bias[O] = b.add(prefix + "b_o", Parameters.Role.BIAS, hidden);
        wx[C] = b.add(prefix + "W_xc", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wh[C] = b.add(prefix + "W_hc", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bias[C] = b.add(prefix + "b_c", Parameters.Role.BIAS, hidden);
        for (int g = 0; g < 4; g++) whT[g] = new float[hidden * hidden];
    }

    static final class Tape extends LayerTape {
        final float[][] gate = new float[4][];  // (T, B, H): I, F, O after σ; C̃ after tanh
        final float[][] dA = new float[4][];    // (T, B, H)
        final float[] cAll;                     // (T+1, B, H): block 0 is the initial C
        final float[] tanhC;                    // (T, B, H)
        final float[] dC, dPrev;                // (B, H) carried cell gradient; scratch

        Tape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            int n = numSteps * batchSize * hidden;
            for (int g = 0; g < 4; g++) {
                gate[g] = new float[n];
                dA[g] = new float[n];
            }
            cAll = new float[n + batchSize * hidden];
            tanhC = new float[n];
            dC = new float[batchSize * hidden];
            dPrev = new float[batchSize * hidden];
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new Tape(batchSize, numSteps, hidden);
    }

    @Override
    void forwardStep(int t) {
        dispatch(STEP, t);
    }

    @Override
    void loadCell() {
        System.arraycopy(state, slot(1), ((Tape) tape).cAll, 0, tape.batchSize * hidden);
    }

    @Override
    void saveCell() {
        int bh = tape.batchSize * hidden;
        System.arraycopy(((Tape) tape).cAll, tape.numSteps * bh, state, slot(1), bh);
    }

    @Override
    void backward() {
        Tape tp = (Tape) tape;
        if (dStateOut != null) System.arraycopy(dStateOut, slot(1), tp.dC, 0, tp.dC.length);
        else java.util.Arrays.fill(tp.dC, 0f);
        dispatch(PREPARE, 0);
        for (int t = tp.numSteps - 1; t >= 0; t--) {
            dispatch(BACK_CELL, t);
            dispatch(BACK_STATE, t);
        }
        if (dStateIn != null) System.arraycopy(tp.dC, 0, dStateIn, slot(1), tp.dC.length);
        dispatch(WEIGHTS, 0);
    }

    @Override
    void phase(int phase, int t, int part, int parts) {
        Tape tp = (Tape) tape;
        int bs = tp.batchSize;
        int j0 = col0(part, parts), j1 = col1(part, parts), n = j1 - j0;
        int blk = t * bs * hidden;
        int prev = tp.h(t - 1, hidden);
        float[] w = params.data;
        float[] gi = tp.gate[0], gf = tp.gate[1], go = tp.gate[2], gc = tp.gate[3];
        switch (phase) {
            case PROJECT -> {
                int r0 = row0(part, parts, rows()), r1 = row1(part, parts, rows());
                for (int g = 0; g < 4; g++) project(tp.gate[g], 0, wx[g], bias[g], r0, r1);
            }
            case STEP -> {
                for (int g = 0; g < 4; g++) {
                    kernels.gemmNN(bs, n, hidden, tp.hAll, prev, hidden, w, wh[g].offset() + j0, hidden, tp.gate[g], blk + j0, hidden);
                }
                int out = tp.h(t, hidden);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden + j0;
                    sigmoid(gi, row, n);
                    sigmoid(gf, row, n);
                    sigmoid(go, row, n);
                    kernels.tanh(gc, row, n);
                    int cPrev = blk + b * hidden + j0, cNew = cPrev + bs * hidden; // cAll blocks t and t+1
                    for (int j = 0; j < n; j++) {
                        float c = gf[row + j] * tp.cAll[cPrev + j] + gi[row + j] * gc[row + j];
                        tp.cAll[cNew + j] = c;
                        tp.tanhC[row + j] = c;
                    }
                    kernels.tanh(tp.tanhC, row, n);
                    int ho = out + b * hidden + j0;
                    for (int j = 0; j < n; j++) tp.hAll[ho + j] = go[row + j] * tp.tanhC[row + j];
                }
            }
            case PREPARE -> {
                for (int g = 0; g < 4; g++) transpose(wh[g], whT[g], j0, j1);
            }
            case BACK_CELL -> {
                addFinalStateGradient(t, j0, j1);
                for (int b = 0; b < bs; b++) {
                    int row = blk + b * hidden, s = b * hidden, cPrev = blk + b * hidden;
                    for (int j = j0; j < j1; j++) {
                        float dh = tp.dH[row + j];
                        float i = gi[row + j], f = gf[row + j], o = go[row + j], c = gc[row + j], th = tp.tanhC[row + j];
                        float dc = tp.dC[s + j] + dh * o * (1f - th * th);
                        float dO = dh * th, dF = dc * tp.cAll[cPrev + j], dI = dc * c, dCand = dc * i;
                        tp.dC[s + j] = dc * f;
                        tp.dA[0][row + j] = dI * i * (1f - i);
                        tp.dA[1][row + j] = dF * f * (1f - f);
                        tp.dA[2][row + j] = dO * o * (1f - o);
                        tp.dA[3][row + j] = dCand * (1f - c * c);
                    }
                }
            }
            case BACK_STATE -> {
                for (int b = 0; b < bs; b++) java.util.Arrays.fill(tp.dPrev, b * hidden + j0, b * hidden + j1, 0f);
                for (int g = 0; g < 4; g++) {
                    kernels.gemmNN(bs, n, hidden, tp.dA[g], blk, hidden, whT[g], j0, hidden, tp.dPrev, j0, hidden);
                }
                passStateGradient(tp.dPrev, t, j0, j1);
            }
            case WEIGHTS -> {
                for (int g = 0; g < 4; g++) {
                    recurrentGradient(tp.hAll, 0, tp.dA[g], wh[g], part, parts);
                    inputGradients(tp.dA[g], wx[g], bias[g], part, parts);
                }
            }
            default -> throw new IllegalStateException("phase " + phase);
        }
    }
}
