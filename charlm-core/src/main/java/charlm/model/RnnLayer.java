package charlm.model;

import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * The chapter's cell: H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h), φ = tanh (or ReLU, exercise 6).
 * Backward is written above each of its steps; the weights' gradients are summed over all steps
 * at once, after the recurrence.
 */
final class RnnLayer extends RecurrentLayer {
    static final CellType TYPE = new CellType("rnn", 1, true, RnnLayer::new);

    private final Activation activation;
    private final Parameters.Tensor wXh, wHh, bH;
    private final Parameters.Tensor[] recurrent; // {W_hh}, for the packing helpers
    private final float[] whhP; // (H, H) W_hh in panels, refreshed at each forward over several steps
    private final float[] whhT; // (H, H) W_hhᵀ in panels, refreshed at each backward
    private final float[] wxhT; // (H, D) W_xhᵀ for dX, refreshed at each backward; null on token input

    private final StepTask forwardStepTask = new StepTask(phase("forward step"), this::forwardStep);
    private final StepTask backwardStepTask = new StepTask(phase("backward step"), this::backwardStep);
    private final Workers.Task transposeTask = Workers.named(phase("weight transposes"), this::transposeRecurrentWeights);
    private final Workers.Task weightGradientsTask = Workers.named(phase("weight gradients"), this::weightGradients);
    private final Workers.Task initialStateTask = Workers.named(phase("initial state gradient"), this::initialStateGradient);

    RnnLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHh = b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
        activation = s.activation();
        recurrent = new Parameters.Tensor[] {wHh};
        whhP = new float[hidden * hidden];
        whhT = new float[hidden * hidden];
        wxhT = tokenInput ? null : new float[hidden * inputs];
    }

    static final class RnnTape extends LayerTape {
        final float[] dA;  // (T, B, H) gradient of the pre-activation
        final float[] dAP; // (T·B, H) the same in column panels, for dW

        RnnTape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            dA = new float[numSteps * batchSize * hidden];
            dAP = new float[dA.length];
        }
    }

    @Override
    LayerTape newTape(int batchSize, int numSteps) {
        return new RnnTape(batchSize, numSteps, hidden);
    }

    // ------------------------------------------------------------------ forward

    /** With token input, X_t W_xh is one row of W_xh, gathered inside the step where it is used. */
    @Override
    boolean gathersInStep() {
        return tokenInput;
    }

    /** A_t = X_t W_xh + b_h for all steps, written straight into h_t's place on the tape. */
    @Override
    void projectInputs(int part, int parts) {
        project(tape.hAll, tape.h(0, hidden), wXh, bH, rowStart(part, parts, rows()), rowEnd(part, parts, rows()));
    }

    @Override
    void packForward(int part, int parts) {
        packColumns(recurrent, whhP, columnStart(part, parts), columnEnd(part, parts));
    }

    @Override
    void forward(int t) {
        runAt(forwardStepTask, t);
    }

    /** H_t = φ(A_t + H_{t−1} W_hh), this part's columns. */
    private void forwardStep(int t, int part, int parts) {
        LayerTape tp = tape;
        int bs = tp.batchSize;
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts), n = j1 - j0;
        int prev = tp.h(t - 1, hidden), out = tp.h(t, hidden);
        if (tokenInput) gatherStep(tp.hAll, out, wXh, bH, t, j0, j1);
        if (packedForward) {
            for (int jb = j0; jb < j1; jb += ALIGN) {
                int w = panelWidth(jb);
                kernels.gemmNN(bs, w, hidden, tp.hAll, prev, hidden, whhP, panel(1, 0, jb), w, tp.hAll, out + jb, hidden);
            }
        } else {
            kernels.gemmNN(bs, n, hidden, tp.hAll, prev, hidden, params.data, wHh.offset() + j0, hidden, tp.hAll, out + j0, hidden);
        }
        for (int b = 0; b < bs; b++) {
            if (activation == Activation.TANH) kernels.tanh(tp.hAll, out + b * hidden + j0, n);
            else kernels.relu(tp.hAll, out + b * hidden + j0, n);
        }
    }

    // ------------------------------------------------------------------ backward

    @Override
    void backward() {
        workers.run(transposeTask);
        for (int t = tape.numSteps - 1; t >= 0; t--) runAt(backwardStepTask, t);
        workers.run(weightGradientsTask);
        if (dStateIn != null) workers.run(initialStateTask);
    }

    /** W_hhᵀ in panels, this part's rows, for the backward products of every step. */
    private void transposeRecurrentWeights(int part, int parts) {
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        packTransposed(recurrent, whhT, j0, j1);
        if (wxhT != null) transposeInput(wXh, wxhT, 0, j0, j1);
    }

    /**
     * Step t, with A_t the pre-activation and dH_t the gradient reaching H_t from above:
     *   dH_t += dA_{t+1} W_hhᵀ   (at T−1 instead the gradient from later minibatches, if any)
     *   dA_t  = dH_t ⊙ φ'(A_t)     (tanh: 1 − H_t²;  ReLU: [H_t > 0])
     */
    private void backwardStep(int t, int part, int parts) {
        RnnTape tp = (RnnTape) tape;
        int bs = tp.batchSize;
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts), n = j1 - j0;
        int block = t * bs * hidden;
        addFinalStateGradient(t, j0, j1);
        if (t < tp.numSteps - 1) {
            for (int jb = j0; jb < j1; jb += ALIGN) {
                int w = panelWidth(jb);
                kernels.gemmNN(bs, w, hidden, tp.dA, block + bs * hidden, hidden, whhT, panel(1, 0, jb), w, tp.dH, block + jb, hidden);
            }
        }
        int h = tp.h(t, hidden);
        for (int b = 0; b < bs; b++) {
            int row = b * hidden + j0;
            if (activation == Activation.TANH) kernels.tanhBackward(tp.dH, block + row, tp.hAll, h + row, tp.dA, block + row, n);
            else kernels.reluBackward(tp.dH, block + row, tp.hAll, h + row, tp.dA, block + row, n);
        }
        packStepRows(tp.dA, t, j0, j1, tp.dAP, 0);
    }

    /** Over all steps at once: dW_hh += Σ_t H_{t−1}ᵀ dA_t, dW_xh += Σ_t X_tᵀ dA_t, db_h += Σ_t dA_t, dX_t = dA_t W_xhᵀ. */
    private void weightGradients(int part, int parts) {
        RnnTape tp = (RnnTape) tape;
        recurrentGradient(tp.hAll, 0, tp.dAP, 0, wHh, part, parts);
        inputGradients(tp.dA, tp.dAP, 0, wXh, wxhT, 0, bH, part, parts);
    }

    /** The initial state's gradient: dH_{−1} = dA_0 W_hhᵀ, this part's columns. */
    private void initialStateGradient(int part, int parts) {
        RnnTape tp = (RnnTape) tape;
        int bs = tp.batchSize;
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts), n = j1 - j0;
        int s = hInState;
        for (int b = 0; b < bs; b++) Arrays.fill(dStateIn, s + b * hidden + j0, s + b * hidden + j1, 0f);
        for (int jb = j0; jb < j1; jb += ALIGN) {
            int w = panelWidth(jb);
            kernels.gemmNN(bs, w, hidden, tp.dA, 0, hidden, whhT, panel(1, 0, jb), w, dStateIn, s + jb, hidden);
        }
    }
}
