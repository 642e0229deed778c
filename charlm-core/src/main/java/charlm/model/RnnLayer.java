package charlm.model;

import charlm.kernels.Kernels;
import charlm.kernels.Workers;

/**
 * The chapter's cell: H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h), φ = tanh (or ReLU, exercise 6).
 *
 * Backward through time, with A_t the pre-activation:
 *   for t = T−1 .. 0:  dH_t += dA_{t+1} W_hhᵀ   (at T−1 the gradient from later minibatches, if any)
 *                      dA_t  = dH_t ⊙ φ'(A_t)     (tanh: 1 − H_t²;  ReLU: [H_t > 0])
 *   then over all steps at once: dW_hh += Σ_t H_{t−1}ᵀ dA_t,  dW_xh += Σ_t X_tᵀ dA_t,  db_h += Σ dA_t,
 *   dX_t = dA_t W_xhᵀ, and the initial state's gradient dH_{−1} = dA_0 W_hhᵀ.
 */
final class RnnLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("rnn", 1, true, RnnLayer::new);

    private static final int STEP = 1, PREPARE = 2, BACK_STEP = 3, WEIGHTS = 4, STATE = 5;

    private final Activation activation;
    private final Parameters.Tensor wXh, wHh, bH;
    private final float[] whhT; // (H, H) W_hh transposed, refreshed at each backward

    RnnLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHh = b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
        activation = s.activation();
        whhT = new float[hidden * hidden];
    }

    static final class Tape extends LayerTape {
        final float[] dA; // (T, B, H)

        Tape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            dA = new float[numSteps * batchSize * hidden];
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new Tape(batchSize, numSteps, hidden);
    }

    @Override
    boolean gathersInStep() {
        return tokenInput;
    }

    @Override
    void forwardStep(int t) {
        dispatch(STEP, t);
    }

    @Override
    void backward() {
        dispatch(PREPARE, 0);
        for (int t = tape.numSteps - 1; t >= 0; t--) dispatch(BACK_STEP, t);
        dispatch(WEIGHTS, 0);
        if (dStateIn != null) dispatch(STATE, 0);
    }

    @Override
    void phase(int phase, int t, int part, int parts) {
        Tape tp = (Tape) tape;
        int bs = tp.batchSize;
        int j0 = col0(part, parts), j1 = col1(part, parts), n = j1 - j0;
        switch (phase) {
            case PROJECT -> project(tp.hAll, tp.h(0, hidden), wXh, bH, row0(part, parts, rows()), row1(part, parts, rows()));
            case STEP -> {
                int prev = tp.h(t - 1, hidden), out = tp.h(t, hidden);
                if (tokenInput) {
                    float[] w = params.data;
                    for (int b = 0; b < bs; b++) {
                        int row = out + b * hidden, x = wXh.offset() + tokens[t * bs + b] * hidden;
                        for (int j = j0; j < j1; j++) tp.hAll[row + j] = w[bH.offset() + j] + w[x + j];
                    }
                }
                kernels.gemmNN(bs, n, hidden, tp.hAll, prev, hidden, params.data, wHh.offset() + j0, hidden, tp.hAll, out + j0, hidden);
                for (int b = 0; b < bs; b++) {
                    if (activation == Activation.TANH) kernels.tanh(tp.hAll, out + b * hidden + j0, n);
                    else kernels.relu(tp.hAll, out + b * hidden + j0, n);
                }
            }
            case PREPARE -> transpose(wHh, whhT, j0, j1);
            case BACK_STEP -> {
                int block = t * bs * hidden;
                addFinalStateGradient(t, j0, j1);
                if (t < tp.numSteps - 1) {
                    kernels.gemmNN(bs, n, hidden, tp.dA, block + bs * hidden, hidden, whhT, j0, hidden, tp.dH, block + j0, hidden);
                }
                int h = tp.h(t, hidden);
                for (int b = 0; b < bs; b++) {
                    int row = b * hidden + j0;
                    if (activation == Activation.TANH) kernels.tanhBackward(tp.dH, block + row, tp.hAll, h + row, tp.dA, block + row, n);
                    else kernels.reluBackward(tp.dH, block + row, tp.hAll, h + row, tp.dA, block + row, n);
                }
            }
            case WEIGHTS -> {
                recurrentGradient(tp.hAll, 0, tp.dA, wHh, part, parts);
                inputGradients(tp.dA, wXh, bH, part, parts);
            }
            case STATE -> {
                int s = slot(0);
                for (int b = 0; b < bs; b++) java.util.Arrays.fill(dStateIn, s + b * hidden + j0, s + b * hidden + j1, 0f);
                kernels.gemmNN(bs, n, hidden, tp.dA, 0, hidden, whhT, j0, hidden, dStateIn, s + j0, hidden);
            }
            default -> throw new IllegalStateException("phase " + phase);
        }
    }
}
