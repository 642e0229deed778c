package charlm.model;

import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * A cell that charlm does not ship, written in the tests to show that a new cell is one class plus
 * one registration: the minimal gated unit (Zhou et al., 2016), a GRU with one gate F doing the
 * work of both:
 *   F_t = σ(X_t W_xf + H_{t−1} W_hf + b_f)
 *   H̃_t = tanh(X_t W_xh + (F_t ⊙ H_{t−1}) W_hh + b_h)
 *   H_t = (1 − F_t) ⊙ H_{t−1} + F_t ⊙ H̃_t
 * Its recurrent products are the built-in cells' own ({@link RecurrentWeights}: panels, serpentine
 * order, transposes, dW), so what is left here is the equations, one phase per barrier. Its
 * elementwise backward is written out in its phases rather than as a Kernels method (as the
 * built-in cells' are), since a cell outside charlm cannot add to Kernels; those loops stay scalar.
 *
 * <p>{@link #register} puts it in {@link Cells} and its double-precision step, {@link #oracleStep},
 * in {@link DoubleNet#STEPS}.
 */
final class MinimalGatedLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("mgu", 1, false, MinimalGatedLayer::new);

    /** Makes the cell and its oracle known, once per JVM (again is harmless). */
    static void register() {
        Cells.register(TYPE);
        DoubleNet.STEPS.put(TYPE.name(), MinimalGatedLayer::oracleStep);
    }

    private final Parameters.Tensor wXf, bF, wXh, bH;
    private final RecurrentWeights gate, candidate; // {W_hf} reads H_{t−1}; {W_hh} reads F_t ⊙ H_{t−1}

    private final StepTask gateTask = new StepTask(phase("forward step: gate"), this::gate);
    private final StepTask candidateTask = new StepTask(phase("forward step: candidate"), this::candidate);
    private final StepTask candidateGradientTask = new StepTask(phase("backward step: candidate"), this::candidateGradient);
    private final StepTask gateGradientTask = new StepTask(phase("backward step: gate"), this::gateGradient);
    private final StepTask stateGradientTask = new StepTask(phase("backward step: state"), this::stateGradient);
    private final Workers.Task weightGradientsTask = Workers.named(phase("weight gradients"), this::weightGradients);

    MinimalGatedLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXf = b.add(prefix + "W_xf", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        gate = recurrentWeights(b.add(prefix + "W_hf", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden));
        bF = b.add(prefix + "b_f", Parameters.Role.BIAS, hidden);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        candidate = recurrentWeights(b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden));
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
    }

    static final class MguTape extends LayerTape {
        final float[] f, hc, fh;    // (T, B, H): F after σ, H̃ after tanh, F ⊙ H_{t−1}
        final float[] dAf, dAh;     // (T, B, H)
        final float[] dAP;          // (2, T·B, H): dA_f, dA_h in column panels, for dW
        final float[] dPrev, dFH;   // (B, H) per-step scratch
        final float[][] fs, hcs, dAfs, dAhs; // {f}, {hc}, {dAf}, {dAh}: the products' outputs and inputs

        MguTape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            int n = numSteps * batchSize * hidden;
            f = new float[n];
            hc = new float[n];
            fh = new float[n];
            dAf = new float[n];
            dAh = new float[n];
            dAP = dAPanels(2 * n);
            dPrev = new float[batchSize * hidden];
            dFH = new float[batchSize * hidden];
            fs = new float[][] {f};
            hcs = new float[][] {hc};
            dAfs = new float[][] {dAf};
            dAhs = new float[][] {dAh};
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new MguTape(batchSize, numSteps, hidden);
    }

    @Override
    void projectInputs(int part, int parts) {
        MguTape tp = (MguTape) pass.tape();
        int r0 = rowStart(part, parts, rows()), r1 = rowEnd(part, parts, rows());
        project(tp.f, 0, wXf, bF, r0, r1);
        project(tp.hc, 0, wXh, bH, r0, r1);
    }

    @Override
    void forward(int t) {
        runAt(gateTask, t);
        runAt(candidateTask, t);
    }

    /** F_t and F_t ⊙ H_{t−1}, columns [j0, j1). */
    private void gate(int t, int j0, int j1) {
        MguTape tp = (MguTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int blk = t * bs * hidden, prev = tp.h(t - 1, hidden);
        gate.product(t, j0, j1, bs, tp.hAll, prev, tp.fs, blk);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0, hp = prev + b * hidden + j0;
            sigmoid(tp.f, row, n);
            for (int j = 0; j < n; j++) tp.fh[row + j] = tp.f[row + j] * tp.hAll[hp + j];
        }
    }

    /** H̃_t and H_t, columns [j0, j1). */
    private void candidate(int t, int j0, int j1) {
        MguTape tp = (MguTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int blk = t * bs * hidden, prev = tp.h(t - 1, hidden), out = tp.h(t, hidden);
        candidate.product(t, j0, j1, bs, tp.fh, blk, tp.hcs, blk);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden + j0, hp = prev + b * hidden + j0, ho = out + b * hidden + j0;
            kernels.tanh(tp.hc, row, n);
            for (int j = 0; j < n; j++) {
                float f = tp.f[row + j];
                tp.hAll[ho + j] = (1f - f) * tp.hAll[hp + j] + f * tp.hc[row + j];
            }
        }
    }

    @Override
    void backward() {
        for (int t = pass.tape().numSteps - 1; t >= 0; t--) {
            runAt(candidateGradientTask, t);
            runAt(gateGradientTask, t);
            runAt(stateGradientTask, t);
        }
        workers.run(weightGradientsTask);
    }

    /**
     * Step t, with dH_t the gradient reaching H_t:
     *   dA_h = dH_t ⊙ F_t ⊙ (1 − H̃_t²)
     *   dF   = dH_t ⊙ (H̃_t − H_{t−1})          (kept in dA_f until the path through F_t ⊙ H_{t−1} is added)
     *   dH_{t−1} = dH_t ⊙ (1 − F_t)
     */
    private void candidateGradient(int t, int j0, int j1) {
        MguTape tp = (MguTape) pass.tape();
        int bs = tp.batchSize;
        int blk = t * bs * hidden, prev = tp.h(t - 1, hidden);
        addFinalStateGradient(t, j0, j1);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden, hp = prev + b * hidden;
            for (int j = j0; j < j1; j++) {
                float dh = tp.dH[row + j], f = tp.f[row + j], hc = tp.hc[row + j];
                tp.dAh[row + j] = dh * f * (1f - hc * hc);
                tp.dAf[row + j] = dh * (hc - tp.hAll[hp + j]);
                tp.dPrev[b * hidden + j] = dh * (1f - f);
            }
        }
        packStepRows(tp.dAh, t, j0, j1, tp.dAP, rows() * hidden);
    }

    /**
     * Once all of dA_h is known:
     *   dFH = dA_h W_hhᵀ   (the gradient reaching F_t ⊙ H_{t−1})
     *   dA_f = (dF + dFH ⊙ H_{t−1}) ⊙ F_t(1 − F_t),   dH_{t−1} += dFH ⊙ F_t
     */
    private void gateGradient(int t, int j0, int j1) {
        MguTape tp = (MguTape) pass.tape();
        int bs = tp.batchSize;
        int blk = t * bs * hidden, prev = tp.h(t - 1, hidden);
        for (int b = 0; b < bs; b++) Arrays.fill(tp.dFH, b * hidden + j0, b * hidden + j1, 0f);
        candidate.transposedProduct(t, j0, j1, bs, tp.dAhs, blk, tp.dFH, 0);
        for (int b = 0; b < bs; b++) {
            int row = blk + b * hidden, hp = prev + b * hidden, s = b * hidden;
            for (int j = j0; j < j1; j++) {
                float f = tp.f[row + j], dfh = tp.dFH[s + j];
                tp.dAf[row + j] = (tp.dAf[row + j] + dfh * tp.hAll[hp + j]) * f * (1f - f);
                tp.dPrev[s + j] += dfh * f;
            }
        }
        packStepRows(tp.dAf, t, j0, j1, tp.dAP, 0);
    }

    /** Once all of dA_f is known: dH_{t−1} += dA_f W_hfᵀ, then on to step t−1 (or the initial state). */
    private void stateGradient(int t, int j0, int j1) {
        MguTape tp = (MguTape) pass.tape();
        gate.transposedProduct(t, j0, j1, tp.batchSize, tp.dAfs, t * tp.batchSize * hidden, tp.dPrev, 0);
        passStateGradient(tp.dPrev, t, j0, j1);
    }

    /** Over all steps: dW_hf += H_{t−1}ᵀ dA_f, dW_hh += (F_t ⊙ H_{t−1})ᵀ dA_h, and the input sides. */
    private void weightGradients(int part, int parts) {
        MguTape tp = (MguTape) pass.tape();
        int n = rows() * hidden;
        gate.gradients(rows(), tp.hAll, 0, tp.dAP, 0, part, parts);
        candidate.gradients(rows(), tp.fh, 0, tp.dAP, n, part, parts);
        inputGradients(tp.dAf, tp.dAP, 0, wXf, bF, part, parts);
        inputGradients(tp.dAh, tp.dAP, n, wXh, bH, part, parts);
    }

    /** The same step in double precision, straight from the equations above: the oracle. */
    static void oracleStep(DoubleNet.Layer w, double[] x, double[][] state) {
        int n = w.hidden();
        double[] h = state[0], f = new double[n], fh = new double[n], out = new double[n];
        for (int i = 0; i < n; i++) {
            f[i] = DoubleNet.sigmoid(w.affine("b_f", "W_xf", x, "W_hf", h, i));
            fh[i] = f[i] * h[i];
        }
        for (int j = 0; j < n; j++) {
            double cand = Math.tanh(w.affine("b_h", "W_xh", x, "W_hh", fh, j));
            out[j] = (1 - f[j]) * h[j] + f[j] * cand;
        }
        state[0] = out;
    }
}
