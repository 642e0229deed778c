package charlm.model;

import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * Long short-term memory, as the book's from-scratch LSTM:
 *   I_t = σ(X_t W_xi + H_{t−1} W_hi + b_i),  F_t = σ(X_t W_xf + H_{t−1} W_hf + b_f),
 *   O_t = σ(X_t W_xo + H_{t−1} W_ho + b_o),  C̃_t = tanh(X_t W_xc + H_{t−1} W_hc + b_c),
 *   C_t = F_t ⊙ C_{t−1} + I_t ⊙ C̃_t,          H_t = O_t ⊙ tanh(C_t)
 * The state is (H, C). The four gates are kept side by side, indexed I, F, O, C, so that the
 * products that treat them alike are one loop. The derivation is above each backward part.
 */
final class LstmLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("lstm", 2, false, LstmLayer::new);

    private static final int I = 0, F = 1, O = 2, C = 3; // input, forget, output gate; candidate

    private final Parameters.Tensor[] wx = new Parameters.Tensor[4], wh = new Parameters.Tensor[4], bias = new Parameters.Tensor[4];
    private final RecurrentWeights recurrent; // W_hi, W_hf, W_ho, W_hc: all read H_{t−1}
    private final float[] wxT; // (4, H, D): W_x*ᵀ for dX, made at each backward; null on token input

    private final StepTask forwardStepTask = new StepTask(phase("forward step"), this::forwardStep);
    private final StepTask backwardStepTask = new StepTask(phase("backward step"), this::backwardStep);
    private final Workers.Task initialStateTask = Workers.named(phase("initial state gradient"), this::initialStateGradient);
    private final Workers.Task weightGradientsTask = Workers.named(phase("weight gradients"), this::weightGradients);

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
        recurrent = recurrentWeights(wh);
        wxT = transposedInputs(wx);
    }

    static final class LstmTape extends LayerTape {
        final float[][] gate = new float[4][];  // (T, B, H): I, F, O after σ; C̃ after tanh
        final float[][] dA = new float[4][];    // (T, B, H)
        final float[] dAP;                      // (4, T·B, H): each gate's dA in column panels, for dW
        final float[] cAll;                     // (T+1, B, H): block 0 is the initial C
        final float[] tanhC;                    // (T, B, H)
        final float[] dC, dPrev;                // (B, H) carried cell gradient; scratch

        LstmTape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            int n = numSteps * batchSize * hidden;
            for (int g = 0; g < 4; g++) {
                gate[g] = new float[n];
                dA[g] = new float[n];
            }
            dAP = dAPanels(4 * n);
            cAll = new float[n + batchSize * hidden];
            tanhC = new float[n];
            dC = new float[batchSize * hidden];
            dPrev = new float[batchSize * hidden];
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new LstmTape(batchSize, numSteps, hidden);
    }

    // ------------------------------------------------------------------ forward

    @Override
    void loadCell() {
        LstmTape tp = (LstmTape) pass.tape();
        System.arraycopy(pass.state(), pass.cAt(), tp.cAll, 0, tp.batchSize * hidden);
    }

    @Override
    void saveCell() {
        LstmTape tp = (LstmTape) pass.tape();
        int bh = tp.batchSize * hidden;
        System.arraycopy(tp.cAll, tp.numSteps * bh, pass.state(), pass.cAt(), bh);
    }

    /** X W_xg + b_g of every gate, for all steps. */
    @Override
    void projectInputs(int part, int parts) {
        LstmTape tp = (LstmTape) pass.tape();
        int r0 = rowStart(part, parts, rows()), r1 = rowEnd(part, parts, rows());
        for (int g = 0; g < 4; g++) project(tp.gate[g], 0, wx[g], bias[g], r0, r1);
    }

    /** With token input, each gate's X_t W_xg is one row of W_xg, gathered inside the step where it is used. */
    @Override
    boolean gathersInStep() {
        return tokenInput;
    }

    @Override
    void forward(int t) {
        runAt(forwardStepTask, t);
    }

    /** The gates, C_t and H_t, columns [j0, j1): every column needs only its own gates. */
    private void forwardStep(int t, int j0, int j1) {
        LstmTape tp = (LstmTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int blk = t * bs * hidden;
        if (tokenInput) for (int g = 0; g < 4; g++) gatherStep(tp.gate[g], blk, wx[g], bias[g], t, j0, j1);
        recurrent.product(t, j0, j1, bs, tp.hAll, tp.h(t - 1, hidden), tp.gate, blk);
        int out = tp.h(t, hidden);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0; // cAll's blocks t and t+1 hold C_{t-1} and C_t
            kernels.lstmCellForward(tp.gate, row, tp.cAll, row, tp.cAll, row + bs * hidden, tp.tanhC, tp.hAll, out + b * hidden + j0, n);
        }
    }

    // ------------------------------------------------------------------ backward

    /**
     * One phase per step, as the plain cell's: a part first adds the recurrent gradient that step t+1
     * sends to its columns of H_t (it needs every column of dA_{t+1}, complete after the last
     * barrier), then works out step t for those columns alone. The initial state's share of the
     * recurrence comes last, in a phase of its own, only when it is asked for.
     */
    @Override
    void backward() {
        LstmTape tp = (LstmTape) pass.tape();
        if (pass.dStateOut() != null) System.arraycopy(pass.dStateOut(), pass.cAt(), tp.dC, 0, tp.dC.length);
        else Arrays.fill(tp.dC, 0f);
        for (int t = tp.numSteps - 1; t >= 0; t--) runAt(backwardStepTask, t);
        if (pass.dStateIn() != null) {
            workers.run(initialStateTask);
            System.arraycopy(tp.dC, 0, pass.dStateIn(), pass.cAt(), tp.dC.length);
        }
        workers.run(weightGradientsTask);
    }

    /** Step t of backward, columns [j0, j1): dH_t += Σ_g dA_{t+1,g} W_hgᵀ, then the cell's own part. */
    private void backwardStep(int t, int j0, int j1) {
        LstmTape tp = (LstmTape) pass.tape();
        if (t < tp.numSteps - 1) {
            recurrentStateGradient(t + 1, j0, j1);
            passStateGradient(tp.dPrev, t + 1, j0, j1);
        }
        cellBackward(t, j0, j1);
    }

    /**
     * Step t, with dH_t reaching H_t and dC carried from step t+1, column by column:
     *   dO = dH_t ⊙ tanh(C_t),  dC += dH_t ⊙ O_t ⊙ (1 − tanh²(C_t))
     *   dF = dC ⊙ C_{t−1},  dI = dC ⊙ C̃_t,  dC̃ = dC ⊙ I_t,  and dC_{t−1} = dC ⊙ F_t
     *   dA_g = dG ⊙ G(1 − G) for I, F, O, and dC̃ ⊙ (1 − C̃²) for the candidate
     */
    private void cellBackward(int t, int j0, int j1) {
        LstmTape tp = (LstmTape) pass.tape();
        int bs = tp.batchSize;
        int blk = t * bs * hidden;
        addFinalStateGradient(t, j0, j1);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0;
            kernels.lstmCellBackward(tp.dH, tp.gate, tp.tanhC, row, tp.cAll, row, tp.dC, b * hidden + j0, tp.dA, j1 - j0);
        }
        int n = bs * hidden * tp.numSteps;
        for (int g = 0; g < 4; g++) packStepRows(tp.dA[g], t, j0, j1, tp.dAP, g * n);
    }

    /**
     * What step t sends back to H_{t−1} through the gates' recurrent weights, columns [j0, j1), into
     * dPrev: Σ_g dA_g W_hgᵀ, once all of every dA_g of step t is known.
     */
    private void recurrentStateGradient(int t, int j0, int j1) {
        LstmTape tp = (LstmTape) pass.tape();
        int bs = tp.batchSize;
        for (int b = 0; b < bs; b++) Arrays.fill(tp.dPrev, b * hidden + j0, b * hidden + j1, 0f);
        recurrent.transposedProduct(t, j0, j1, bs, tp.dA, t * bs * hidden, tp.dPrev, 0);
    }

    /** The initial state's gradient dH_{−1} = Σ_g dA_{0,g} W_hgᵀ, this part's columns. */
    private void initialStateGradient(int part, int parts) {
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        recurrentStateGradient(0, j0, j1);
        passStateGradient(((LstmTape) pass.tape()).dPrev, 0, j0, j1);
    }

    /** Over all steps at once: dW_hg += Σ_t H_{t−1}ᵀ dA_g, and each gate's input side (dW_xg, db_g, dX). */
    private void weightGradients(int part, int parts) {
        LstmTape tp = (LstmTape) pass.tape();
        int n = rows() * hidden;
        recurrent.gradients(rows(), tp.hAll, 0, tp.dAP, 0, part, parts);
        for (int g = 0; g < 4; g++) inputGradients(tp.dA[g], tp.dAP, g * n, wx[g], wxT, g * hidden * inputs, bias[g], part, parts);
    }
}
