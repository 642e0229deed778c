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
    private final RecurrentWeights whh;
    private final float[] wxhT; // (H, D) W_xhᵀ for dX, made at each backward; null on token input

    private final StepTask forwardStepTask = new StepTask(phase("forward step"), this::forwardStep);
    private final StepTask backwardStepTask = new StepTask(phase("backward step"), this::backwardStep);
    private final Workers.Task weightGradientsTask = Workers.named(phase("weight gradients"), this::weightGradients);
    private final Workers.Task initialStateTask = Workers.named(phase("initial state gradient"), this::initialStateGradient);

    RnnLayer(Setup s, Parameters.Builder b) {
        super(s);
        wXh = b.add(prefix + "W_xh", Parameters.Role.INPUT_WEIGHT, inputs, hidden);
        wHh = b.add(prefix + "W_hh", Parameters.Role.RECURRENT_WEIGHT, hidden, hidden);
        bH = b.add(prefix + "b_h", Parameters.Role.BIAS, hidden);
        activation = s.activation();
        whh = recurrentWeights(wHh);
        wxhT = transposedInputs(wXh);
    }

    static final class RnnTape extends LayerTape {
        final float[] dA;  // (T, B, H) gradient of the pre-activation
        final float[] dAP; // (T·B, H) the same in column panels, for dW
        final float[][] hs, dAs; // {hAll} and {dA}: the outputs and inputs of W_hh's products

        RnnTape(int batchSize, int numSteps, int hidden) {
            super(batchSize, numSteps, hidden);
            dA = new float[numSteps * batchSize * hidden];
            dAP = dAPanels(dA.length);
            hs = new float[][] {hAll};
            dAs = new float[][] {dA};
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
        LayerTape tp = pass.tape();
        project(tp.hAll, tp.h(0, hidden), wXh, bH, rowStart(part, parts, rows()), rowEnd(part, parts, rows()));
    }

    @Override
    void forward(int t) {
        runAt(forwardStepTask, t);
    }

    /** H_t = φ(A_t + H_{t−1} W_hh), columns [j0, j1). */
    private void forwardStep(int t, int j0, int j1) {
        RnnTape tp = (RnnTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int out = tp.h(t, hidden);
        if (tokenInput) gatherStep(tp.hAll, out, wXh, bH, t, j0, j1);
        whh.product(t, j0, j1, bs, tp.hAll, tp.h(t - 1, hidden), tp.hs, out);
        for (int b = 0; b < bs; b++) {
            if (activation == Activation.TANH) kernels.tanh(tp.hAll, out + b * hidden + j0, n);
            else kernels.relu(tp.hAll, out + b * hidden + j0, n);
        }
    }

    // ------------------------------------------------------------------ backward

    @Override
    void backward() {
        for (int t = pass.tape().numSteps - 1; t >= 0; t--) runAt(backwardStepTask, t);
        workers.run(weightGradientsTask);
        if (pass.dStateIn() != null) workers.run(initialStateTask);
    }

    /**
     * Step t, with A_t the pre-activation and dH_t the gradient reaching H_t from above:
     *   dH_t += dA_{t+1} W_hhᵀ   (at T−1 instead the gradient from later minibatches, if any)
     *   dA_t  = dH_t ⊙ φ'(A_t)     (tanh: 1 − H_t²;  ReLU: [H_t > 0])
     */
    private void backwardStep(int t, int j0, int j1) {
        RnnTape tp = (RnnTape) pass.tape();
        int bs = tp.batchSize, n = j1 - j0;
        int block = t * bs * hidden;
        addFinalStateGradient(t, j0, j1);
        if (t < tp.numSteps - 1) whh.transposedProduct(t + 1, j0, j1, bs, tp.dAs, block + bs * hidden, tp.dH, block);
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
        RnnTape tp = (RnnTape) pass.tape();
        whh.gradients(rows(), tp.hAll, 0, tp.dAP, 0, part, parts);
        inputGradients(tp.dA, tp.dAP, 0, wXh, wxhT, 0, bH, part, parts);
    }

    /** The initial state's gradient: dH_{−1} = dA_0 W_hhᵀ, this part's columns. */
    private void initialStateGradient(int part, int parts) {
        RnnTape tp = (RnnTape) pass.tape();
        int bs = tp.batchSize;
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        float[] dStateIn = pass.dStateIn();
        int s = pass.hAt();
        for (int b = 0; b < bs; b++) Arrays.fill(dStateIn, s + b * hidden + j0, s + b * hidden + j1, 0f);
        whh.transposedProduct(0, j0, j1, bs, tp.dAs, 0, dStateIn, s);
    }
}
