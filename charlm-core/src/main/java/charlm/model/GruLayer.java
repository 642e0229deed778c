package charlm.model;

import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * The gated recurrent unit, as the book's from-scratch GRU:
 *   Z_t = σ(X_t W_xz + H_{t−1} W_hz + b_z)          update gate
 *   R_t = σ(X_t W_xr + H_{t−1} W_hr + b_r)          reset gate
 *   H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t−1}) W_hh + b_h)
 *   H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
 * A step runs in two phases, because Z and R need all of H_{t−1}, and the candidate then all of
 * R ⊙ H_{t−1}; backward in two as well: the gate gradients (after finishing what step t+1 sends back
 * through W_hz and W_hr), then the reset gate's, which needs all of dA_h. The derivation is above
 * each backward part.
 */
final class GruLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("gru", 1, false, GruLayer::new);

    private final Parameters.Tensor wXz, bZ, wXr, bR, wXh, bH;
    private final RecurrentWeights gates;     // {W_hz, W_hr}: both read H_{t−1}
    private final RecurrentWeights candidate; // {W_hh}: reads R_t ⊙ H_{t−1}
    private final float[] wxT; // (3, H, D): W_xzᵀ, W_xrᵀ, W_xhᵀ for dX, made at each backward; null on token input

    private final StepTask gatesTask = new StepTask(phase("forward step: gates"), this::gates);
    private final StepTask candidateTask = new StepTask(phase("forward step: candidate"), this::candidate);
    private final StepTask gateGradientsTask = new StepTask(phase("backward step: gates"), this::gateGradients);
    private final StepTask resetGradientTask = new StepTask(phase("backward step: reset gate"), this::resetGradient);
    private final Workers.Task initialStateTask = Workers.named(phase("initial state gradient"), this::initialStateGradient);
    private final Workers.Task weightGradientsTask = Workers.named(phase("weight gradients"), this::weightGradients);

    GruLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXz = b.add(prefix + "W_xz", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        Parameters.Tensor wHz = b.add(prefix + "W_hz", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bZ = b.add(prefix + "b_z", Parameters.Role.BIAS, hidden);
        wXr = b.add(prefix + "W_xr", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        Parameters.Tensor wHr = b.add(prefix + "W_hr", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bR = b.add(prefix + "b_r", Parameters.Role.BIAS, hidden);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        Parameters.Tensor wHh = b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
        gates = recurrentWeights(wHz, wHr);
        candidate = recurrentWeights(wHh);
        wxT = transposedInputs(wXz, wXr, wXh);
    }

    static final class GruTape extends LayerTape {
        final float[] z, r, hc, rh;    // (T, B, H): gates after σ, candidate after tanh, R ⊙ H_{t−1}
        final float[] dAz, dAr, dAh;   // (T, B, H)
        final float[] dAP;             // (3, T·B, H): dA_z, dA_r, dA_h in column panels, for dW
        final float[] dPrev, dRH;      // (B, H) per-step scratch
        final float[][] zr, hcs, dAzr, dAhs; // {z, r}, {hc}, {dAz, dAr}, {dAh}: the weights' products' outputs and inputs

        GruTape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            int n = numSteps * batchSize * hidden;
            z = new float[n];
            r = new float[n];
            hc = new float[n];
            rh = new float[n];
            dAz = new float[n];
            dAr = new float[n];
            dAh = new float[n];
            dAP = dAPanels(3 * n);
            dPrev = new float[batchSize * hidden];
            dRH = new float[batchSize * hidden];
            zr = new float[][] {z, r};
            hcs = new float[][] {hc};
            dAzr = new float[][] {dAz, dAr};
            dAhs = new float[][] {dAh};
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new GruTape(batchSize, numSteps, hidden);
    }

    // ------------------------------------------------------------------ forward

    /** X W_x* + b_* of the update gate, the reset gate and the candidate, for all steps. */
    @Override
    void projectInputs(int part, int parts) {
        GruTape tp = (GruTape) pass.tape();
        int r0 = rowStart(part, parts, rows()), r1 = rowEnd(part, parts, rows());
        project(tp.z, 0, wXz, bZ, r0, r1);
        project(tp.r, 0, wXr, bR, r0, r1);
        project(tp.hc, 0, wXh, bH, r0, r1);
    }

    /** With token input, each gate's X_t W_x* is one row of W_x*, gathered inside the step phase that uses it. */
    @Override
    boolean gathersInStep() {
        return tokenInput;
    }

    @Override
    void forward(int t) {
        runAt(gatesTask, t);
        runAt(candidateTask, t);
    }

    /** Z_t, R_t and R_t ⊙ H_{t−1}, columns [j0, j1). */
    private void gates(int t, int j0, int j1) {
        GruTape tp = (GruTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int blk = t * bs * hidden;          // step t's (B, H) block in the per-step arrays
        int prev = tp.h(t - 1, hidden);     // H_{t−1} in hAll
        if (tokenInput) {
            gatherStep(tp.z, blk, wXz, bZ, t, j0, j1);
            gatherStep(tp.r, blk, wXr, bR, t, j0, j1);
        }
        gates.product(t, j0, j1, bs, tp.hAll, prev, tp.zr, blk);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0;
            kernels.gruGatesForward(tp.z, tp.r, row, tp.hAll, prev + b * hidden + j0, tp.rh, n);
        }
    }

    /** H̃_t and H_t, columns [j0, j1). */
    private void candidate(int t, int j0, int j1) {
        GruTape tp = (GruTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int blk = t * bs * hidden;
        int prev = tp.h(t - 1, hidden), out = tp.h(t, hidden);
        if (tokenInput) gatherStep(tp.hc, blk, wXh, bH, t, j0, j1);
        candidate.product(t, j0, j1, bs, tp.rh, blk, tp.hcs, blk);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0;
            kernels.gruStateForward(tp.hc, tp.z, row, tp.hAll, prev + b * hidden + j0, tp.hAll, out + b * hidden + j0, n);
        }
    }

    // ------------------------------------------------------------------ backward

    @Override
    void backward() {
        for (int t = pass.tape().numSteps - 1; t >= 0; t--) {
            runAt(gateGradientsTask, t);
            runAt(resetGradientTask, t);
        }
        if (pass.dStateIn() != null) workers.run(initialStateTask);
        workers.run(weightGradientsTask);
    }

    /**
     * Step t, first finishing what step t+1 sends back to H_t through the update and reset gates'
     * weights (see {@link #stateGradient}; it needs all of dA_z and dA_r of step t+1, complete after
     * the last barrier), then, with dH_t the gradient reaching H_t and dA_* the pre-activation gradients:
     *   dA_h = dH_t ⊙ (1 − Z_t) ⊙ (1 − H̃_t²)
     *   dA_z = dH_t ⊙ (H_{t−1} − H̃_t) ⊙ Z_t(1 − Z_t)
     *   dH_{t−1} = dH_t ⊙ Z_t   (the direct path; the gates' paths are added by the next two parts)
     */
    private void gateGradients(int t, int j0, int j1) {
        GruTape tp = (GruTape) pass.tape();
        int bs = tp.batchSize;
        int blk = t * bs * hidden;
        int prev = tp.h(t - 1, hidden);
        if (t < tp.numSteps - 1) stateGradient(t + 1, j0, j1);
        addFinalStateGradient(t, j0, j1);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0;
            kernels.gruGateBackward(tp.dH, tp.z, tp.hc, row, tp.hAll, prev + b * hidden + j0, tp.dAh, tp.dAz, tp.dPrev, b * hidden + j0, j1 - j0);
        }
        int n = bs * hidden * tp.numSteps;
        packStepRows(tp.dAz, t, j0, j1, tp.dAP, 0);
        packStepRows(tp.dAh, t, j0, j1, tp.dAP, 2 * n);
    }

    /**
     * Through the reset gate, once all of dA_h is known:
     *   dRH  = dA_h W_hhᵀ           (the gradient reaching R_t ⊙ H_{t−1})
     *   dA_r = dRH ⊙ H_{t−1} ⊙ R_t(1 − R_t)
     *   dH_{t−1} += dRH ⊙ R_t
     */
    private void resetGradient(int t, int j0, int j1) {
        GruTape tp = (GruTape) pass.tape();
        int bs = tp.batchSize;
        int blk = t * bs * hidden;
        int prev = tp.h(t - 1, hidden);
        for (int b = 0; b < bs; b++) Arrays.fill(tp.dRH, b * hidden + j0, b * hidden + j1, 0f);
        candidate.transposedProduct(t, j0, j1, bs, tp.dAhs, blk, tp.dRH, 0);
        for (int b = 0; b < bs; b++) {
            int s = b * hidden + j0;
            kernels.gruResetBackward(tp.dRH, tp.dPrev, s, tp.r, tp.dAr, blk + s, tp.hAll, prev + s, j1 - j0);
        }
        packStepRows(tp.dAr, t, j0, j1, tp.dAP, bs * hidden * tp.numSteps);
    }

    /**
     * Through the gates' recurrent weights, once all of dA_z and dA_r are known:
     *   dH_{t−1} += dA_z W_hzᵀ + dA_r W_hrᵀ
     * then on to step t−1 (or the initial state), columns [j0, j1).
     */
    private void stateGradient(int t, int j0, int j1) {
        GruTape tp = (GruTape) pass.tape();
        gates.transposedProduct(t, j0, j1, tp.batchSize, tp.dAzr, t * tp.batchSize * hidden, tp.dPrev, 0);
        passStateGradient(tp.dPrev, t, j0, j1);
    }

    /** The initial state's gradient: step 0's {@link #stateGradient}, this part's columns. */
    private void initialStateGradient(int part, int parts) {
        stateGradient(0, columnStart(part, parts), columnEnd(part, parts));
    }

    /**
     * Over all steps at once: dW_hz += H_{t−1}ᵀ dA_z, dW_hr += H_{t−1}ᵀ dA_r,
     * dW_hh += (R_t ⊙ H_{t−1})ᵀ dA_h, and each gate's input side (dW_x*, db_*, dX).
     */
    private void weightGradients(int part, int parts) {
        GruTape tp = (GruTape) pass.tape();
        int n = rows() * hidden;
        gates.gradients(rows(), tp.hAll, 0, tp.dAP, 0, part, parts);
        candidate.gradients(rows(), tp.rh, 0, tp.dAP, 2 * n, part, parts);
        int d = hidden * inputs;
        inputGradients(tp.dAz, tp.dAP, 0, wXz, wxT, 0, bZ, part, parts);
        inputGradients(tp.dAr, tp.dAP, n, wXr, wxT, d, bR, part, parts);
        inputGradients(tp.dAh, tp.dAP, 2 * n, wXh, wxT, 2 * d, bH, part, parts);
    }
}
