package charlm.model;

import charlm.kernels.Alignment;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * One recurrent layer over T steps of a minibatch: its parameters, forward and backward through
 * time. The input is either tokens (layer 0 with one-hot inputs: X_t W is row x_t of W, a gather)
 * or rows of floats (an embedding, or the layer below). Rows are time-major: row t·B + b.
 *
 * <p>Shared here: the input projection for every step at once (A_g = X W_xg + b_g before the
 * recurrence), the input-side gradients after it (dW_xg, db_g, dX, all steps at once), and the
 * dispatch of phases to the workers. A cell supplies only the recurrence: it declares its tensors
 * in its constructor (its recurrent weights as {@link RecurrentWeights}, which do the step's products),
 * and writes each phase of a step as a method of its own over a block of columns, run by a
 * {@link StepTask} it makes once. Work inside a step is split over hidden columns; the all-steps
 * products over rows or columns, never over a sum.
 */
abstract class RecurrentLayer {
    static final int ALIGN = 64; // column blocks of whole 4-vector panels of the NN kernel

    /**
     * What a layer is built from: D inputs (V for token input, E or H otherwise), H hidden units,
     * whether its input is tokens, the prefix of its tensors' names ("" or "l0.", "l1.", ...), the
     * activation (for the cells that take one), and the kernels and workers it runs on.
     */
    record Setup(int inputs, int hidden, boolean tokenInput, String prefix, Activation activation, Kernels kernels, Workers workers) {
    }

    final int inputs;   // D
    final int hidden;   // H
    final boolean tokenInput;
    final String prefix;
    final Kernels kernels;
    final Workers workers;
    Parameters params;  // set by attach, once every layer has declared its tensors

    /** The call in progress: set by {@link #forward(Pass)} and {@link #backward(Pass)}, read by the phases. */
    Pass pass;

    private RecurrentWeights[] recurrent = {}; // an array: a list's iterator at every call allocated 190 KB over PredictorTest's 300,000 characters
    private Parameters.Tensor[] transposedInputs = {};
    private float[] inputsT; // (G, H, D): W_xgᵀ of the gates in transposedInputs, made at each backward
    private boolean panels;  // whether this forward pass reads the recurrent weights from panels

    private final Workers.Task prepareTask;
    private final Workers.Task transposeTask;

    RecurrentLayer(Setup s) {
        this.inputs = s.inputs();
        this.hidden = s.hidden();
        this.tokenInput = s.tokenInput();
        this.prefix = s.prefix();
        this.kernels = s.kernels();
        this.workers = s.workers();
        this.prepareTask = Workers.named(phase("input projection and panels"), this::prepare);
        this.transposeTask = Workers.named(phase("weight transposes"), this::transposeWeights);
    }

    /**
     * What one call of a layer reads and writes, made by RnnModel for each forward and backward:
     * the layer's tape; the input (tokens (T·B) time-major for token input, else rows x (T·B, D)
     * from xOff, and dX, their gradient, or null); the model's state array (forward only) and the
     * gradients of the final and of the initial state (backward only; each or null), in the same
     * layout, where this layer's h (B, H) starts at hAt and a second state slot's c at cAt.
     */
    record Pass(LayerTape tape, int[] tokens, float[] x, int xOff, float[] dX, float[] state,
                float[] dStateOut, float[] dStateIn, int hAt, int cAt) {
    }

    /** Declares recurrent weights that read the same input at a step; their panels then are the layer's to make. */
    final RecurrentWeights recurrentWeights(Parameters.Tensor... w) {
        RecurrentWeights r = new RecurrentWeights(w, hidden, kernels);
        recurrent = Arrays.copyOf(recurrent, recurrent.length + 1);
        recurrent[recurrent.length - 1] = r;
        return r;
    }

    /**
     * Declares the input weights W_xg whose transposes (G, H, D) dX = Σ_g dA_g W_xgᵀ reads (see
     * {@link #inputGradients(float[], float[], int, Parameters.Tensor, float[], int, Parameters.Tensor, int, int)}),
     * made at each backward; null with token input, which has no dX.
     */
    final float[] transposedInputs(Parameters.Tensor... wx) {
        if (tokenInput) return null;
        transposedInputs = wx.clone();
        inputsT = new float[wx.length * hidden * inputs];
        return inputsT;
    }

    /** Hands the layer the finished parameters that hold the tensors it declared when it was built. */
    final void attach(Parameters p) {
        params = p;
        for (RecurrentWeights r : recurrent) r.attach(p);
    }

    abstract LayerTape newTape(int batchSize, int numSteps);

    // ------------------------------------------------------------------ forward

    /** Runs the layer over the pass's T steps from its state; leaves the final state there. */
    final void forward(Pass p) {
        pass = p;
        LayerTape tape = p.tape();
        int bh = tape.batchSize * hidden;
        System.arraycopy(p.state(), p.hAt(), tape.hAll, 0, bh);
        loadCell();
        panels = tape.numSteps > 1;
        for (RecurrentWeights r : recurrent) r.readPanels(panels);
        if (!gathersInStep() || panels) workers.run(prepareTask);
        for (int t = 0; t < tape.numSteps; t++) forward(t);
        System.arraycopy(tape.hAll, tape.h(tape.numSteps - 1, hidden), p.state(), p.hAt(), bh);
        saveCell();
    }

    /** Before the steps: the input projection (this part's rows) and the weights' panels (its columns). */
    private void prepare(int part, int parts) {
        if (!gathersInStep()) projectInputs(part, parts);
        if (panels) for (RecurrentWeights r : recurrent) r.pack(columnStart(part, parts), columnEnd(part, parts));
    }

    /**
     * The input projection of all T steps before the recurrence, this part's rows: A_g = X W_xg + b_g
     * for every gate (see {@link #project}). Not run when {@link #gathersInStep} says the cell does it.
     */
    abstract void projectInputs(int part, int parts);

    /**
     * Whether the cell adds a token input's projection (bias plus a row of W_xh) at each step itself,
     * where the block is about to be used, instead of in a pass over all steps first.
     */
    boolean gathersInStep() {
        return false;
    }

    /** Runs forward step t on the workers: the cell's phases of one step, in order. */
    abstract void forward(int t);

    /** Copies state beyond h (an LSTM's C) from the state array onto the tape; none by default. */
    void loadCell() {
    }

    /** Copies the final state beyond h back into the state array; none by default. */
    void saveCell() {
    }

    // ------------------------------------------------------------------ backward

    /**
     * Backward through the pass: the weights' transposes for it (this part's columns of every
     * W_gᵀ and W_xgᵀ), then the cell's {@link #backward()}.
     */
    final void backward(Pass p) {
        pass = p;
        workers.run(transposeTask);
        backward();
    }

    private void transposeWeights(int part, int parts) {
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        for (RecurrentWeights r : recurrent) r.packTransposed(j0, j1);
        for (int g = 0; g < transposedInputs.length; g++) transposeInput(transposedInputs[g], inputsT, g * hidden * inputs, j0, j1);
    }

    /** Backward through time; the tape's dH holds the gradient of the loss with respect to every output h_t. */
    abstract void backward();

    // ------------------------------------------------------------------ dispatch

    /** One phase of a time step: the work on columns [j0, j1) of H at step t. */
    @FunctionalInterface
    interface StepPhase {
        void run(int t, int j0, int j1);
    }

    /**
     * A step's phase as a task for the workers: each part gets a block of whole 64-column panels, in
     * the serpentine order of {@link RecurrentWeights}. A layer makes one per phase when it is built
     * and sets the step before each run, so running a step allocates nothing.
     */
    final class StepTask implements Workers.Task {
        private final String name;
        private final StepPhase phase;
        private int t;

        StepTask(String name, StepPhase phase) {
            this.name = name;
            this.phase = phase;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void run(int part, int parts) {
            int p = stepPart(part, parts, t);
            phase.run(t, columnStart(p, parts), columnEnd(p, parts));
        }
    }

    /** A phase's name for {@link charlm.kernels.PhaseTimes}, with the layer's prefix when there are several. */
    final String phase(String name) {
        return prefix.isEmpty() ? name : prefix + " " + name;
    }

    /** Runs a step's phase at step t on the workers and waits for it. */
    final void runAt(StepTask task, int t) {
        task.t = t;
        workers.run(task);
    }

    /** T·B rows of the pass in progress. */
    final int rows() {
        return pass.tape().batchSize * pass.tape().numSteps;
    }

    /** This part's columns of H start here: blocks of whole 64-column panels. */
    final int columnStart(int part, int parts) {
        return Workers.start(part, parts, hidden, ALIGN);
    }

    /** This part's columns of H end here (exclusive). */
    final int columnEnd(int part, int parts) {
        return Workers.end(part, parts, hidden, ALIGN);
    }

    /**
     * The part whose columns to work on at step t: on odd steps each thread takes its own parts in
     * reverse (the serpentine order of {@link RecurrentWeights}, one level up).
     */
    private int stepPart(int part, int parts, int t) {
        int threads = workers.threads();
        if ((t & 1) == 0 || parts % threads != 0) return part;
        int per = parts / threads, base = part - part % per;
        return base + per - 1 - (part - base);
    }

    /** This part's rows of n start here. */
    static int rowStart(int part, int parts, int n) {
        return Workers.start(part, parts, n, 1);
    }

    /** This part's rows of n end here (exclusive). */
    static int rowEnd(int part, int parts, int n) {
        return Workers.end(part, parts, n, 1);
    }

    // ------------------------------------------------------------------ shared pieces

    /** A_g[r] = b_g + X_r W_xg for rows [r0, r1): a gather for token input, one product otherwise. */
    final void project(float[] out, int outOff, Parameters.Tensor wx, Parameters.Tensor b, int r0, int r1) {
        float[] w = params.data;
        Pass p = pass;
        for (int r = r0; r < r1; r++) {
            int row = outOff + r * hidden;
            if (tokenInput) gatherRow(out, row, wx, b, p.tokens()[r], 0, hidden);
            else System.arraycopy(w, b.offset(), out, row, hidden);
        }
        if (!tokenInput && r1 > r0) {
            kernels.gemmNN(r1 - r0, hidden, inputs, p.x(), p.xOff() + r0 * inputs, inputs, w, wx.offset(), hidden, out, outOff + r0 * hidden, hidden);
        }
    }

    /**
     * Step t's A_g = b_g + X_t W_xg for token input, columns [j0, j1): a gather of the tokens' rows of
     * W_xg into out's (B, H) block at blk, the same sums as {@link #project} makes for all steps at
     * once, made where the step is about to add its product into them (see {@link #gathersInStep}).
     */
    final void gatherStep(float[] out, int blk, Parameters.Tensor wx, Parameters.Tensor b, int t, int j0, int j1) {
        int bs = pass.tape().batchSize;
        int[] tokens = pass.tokens();
        for (int r = 0; r < bs; r++) gatherRow(out, blk + r * hidden, wx, b, tokens[t * bs + r], j0, j1);
    }

    /** out[row + j] = b_g[j] + W_xg[token, j] for columns [j0, j1): one row of a token input's projection. */
    private void gatherRow(float[] out, int row, Parameters.Tensor wx, Parameters.Tensor b, int token, int j0, int j1) {
        float[] w = params.data;
        int x = wx.offset() + token * hidden;
        for (int j = j0; j < j1; j++) out[row + j] = w[b.offset() + j] + w[x + j];
    }

    /**
     * The input side of a gate's gradient over all T·B rows, given dA (its pre-activation gradient):
     * db_g and dW_xg over this part's columns, and dX += dA W_xgᵀ over this part's rows.
     */
    final void inputGradients(float[] dA, Parameters.Tensor wx, Parameters.Tensor b, int part, int parts) {
        float[] g = params.grad;
        int rows = rows();
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        Pass p = pass;
        if (tokenInput) {
            int[] tokens = p.tokens();
            // X_r W_xg is a gather, so its gradient is a scatter: each row's slice of dA into db_g and,
            // still in L1, into its token's row of dW_xg.
            for (int r = 0; r < rows; r++) {
                int src = r * hidden + j0;
                kernels.add(dA, src, g, b.offset() + j0, j1 - j0);
                kernels.add(dA, src, g, wx.offset() + tokens[r] * hidden + j0, j1 - j0);
            }
        } else {
            for (int r = 0; r < rows; r++) kernels.add(dA, r * hidden + j0, g, b.offset() + j0, j1 - j0);
            kernels.gemmTN(inputs, j1 - j0, rows, p.x(), p.xOff(), inputs, dA, j0, hidden, g, wx.offset() + j0, hidden);
            if (p.dX() != null) {
                int r0 = rowStart(part, parts, rows), r1 = rowEnd(part, parts, rows);
                // dX (rows, D) += dA (rows, H) · W_xgᵀ, with W_xg stored (D, H): a product of rows with rows.
                kernels.gemmNT(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, params.data, wx.offset(), hidden, p.dX(), r0 * inputs, inputs);
            }
        }
    }

    /**
     * As {@link #inputGradients(float[], Parameters.Tensor, Parameters.Tensor, int, int)}, with dA
     * also in panels (see {@link #packStepRows}): dW_xg is then split over its rows, each part reading
     * the shared panels, so no thread copies dA for itself.
     */
    final void inputGradients(float[] dA, float[] dAPanels, int pOff, Parameters.Tensor wx, Parameters.Tensor b, int part, int parts) {
        inputGradients(dA, dAPanels, pOff, wx, null, 0, b, part, parts);
    }

    /**
     * As {@link #inputGradients(float[], float[], int, Parameters.Tensor, Parameters.Tensor, int, int)},
     * with W_xgᵀ (H, D) at wxT from wxTOff (see {@link #transposedInputs}), or wxT null: dX += dA W_xgᵀ is
     * then a product of rows with a row-major matrix, where with W_xg it is one of dot products, and
     * runs about twice as fast (D = 64, H = 512: 145 against 80 GFLOP/s on one core).
     */
    final void inputGradients(float[] dA, float[] dAPanels, int pOff, Parameters.Tensor wx, float[] wxT, int wxTOff,
                              Parameters.Tensor b, int part, int parts) {
        if (tokenInput) {
            inputGradients(dA, wx, b, part, parts);
            return;
        }
        float[] g = params.grad;
        int rows = rows();
        int j0 = columnStart(part, parts), j1 = columnEnd(part, parts);
        Pass p = pass;
        for (int r = 0; r < rows; r++) kernels.add(dA, r * hidden + j0, g, b.offset() + j0, j1 - j0);
        int i0 = rowStart(part, parts, inputs), i1 = rowEnd(part, parts, inputs);
        kernels.gemmTNPanels(i1 - i0, hidden, rows, p.x(), p.xOff() + i0, inputs, dAPanels, Alignment.PAD + pOff, g, wx.offset() + i0 * hidden, hidden);
        float[] dX = p.dX();
        if (dX != null) {
            int r0 = rowStart(part, parts, rows), r1 = rowEnd(part, parts, rows);
            if (wxT != null) kernels.gemmNN(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, wxT, wxTOff, inputs, dX, r0 * inputs, inputs);
            else kernels.gemmNT(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, params.data, wx.offset(), hidden, dX, r0 * inputs, inputs);
        }
    }

    /** Columns [j0, j1) of W_xg (D, H) as rows of W_xgᵀ (H, D) at dst from dOff, in 16 × 16 tiles (see RecurrentWeights#packTransposed). */
    private void transposeInput(Parameters.Tensor wx, float[] dst, int dOff, int j0, int j1) {
        float[] d = params.data;
        int off = wx.offset();
        for (int i0 = 0; i0 < inputs; i0 += RecurrentWeights.TILE) {
            int i1 = Math.min(i0 + RecurrentWeights.TILE, inputs);
            for (int jt = j0; jt < j1; jt += RecurrentWeights.TILE) {
                int jEnd = Math.min(jt + RecurrentWeights.TILE, j1);
                for (int j = jt; j < jEnd; j++) {
                    for (int i = i0; i < i1; i++) dst[dOff + j * inputs + i] = d[off + i * hidden + j];
                }
            }
        }
    }

    /**
     * Step t's rows of dA, columns [j0, j1), also into the panels of Kernels#gemmTNPanels (k = T·B
     * rows) for the weight gradients: written by the part that has just computed them, while they
     * are in its L1, instead of by every thread for itself later. panels: a buffer from {@link #dAPanels}.
     */
    final void packStepRows(float[] dA, int t, int j0, int j1, float[] panels, int pOff) {
        int bs = pass.tape().batchSize;
        Kernels.packPanels(rows(), hidden, kernels.panelWidth(), dA, 0, hidden, t * bs, (t + 1) * bs, j0, j1, panels, Alignment.PAD + pOff);
    }

    /**
     * A buffer for n floats of dA panels. The panels start {@link Alignment#PAD} floats in, on a cache line
     * (the weight gradients read them with 64-byte vector loads; aligned, the product alone ran 13% faster
     * at H = 1024), so offsets into it given to {@link #packStepRows}, {@link #inputGradients} and
     * {@link RecurrentWeights#gradients} count from there: they add PAD themselves.
     */
    static float[] dAPanels(int n) {
        return new float[Alignment.PAD + n];
    }

    /** σ(x) = (1 + tanh(x/2)) / 2 in place, on the kernels' tanh, in one pass. */
    final void sigmoid(float[] x, int off, int len) {
        kernels.sigmoid(x, off, len);
    }

    /**
     * At the last step, adds the gradient arriving from later minibatches (no-detach training) for
     * this layer's h to dH of that step, columns [j0, j1); at other steps, or with none, nothing.
     */
    final void addFinalStateGradient(int t, int j0, int j1) {
        LayerTape tape = pass.tape();
        float[] dStateOut = pass.dStateOut();
        if (t != tape.numSteps - 1 || dStateOut == null) return;
        int blk = t * tape.batchSize * hidden, at = pass.hAt();
        for (int b = 0; b < tape.batchSize; b++) {
            int row = b * hidden;
            for (int j = j0; j < j1; j++) tape.dH[blk + row + j] += dStateOut[at + row + j];
        }
    }

    /**
     * Hands on the gradient that reached H_{t−1} at step t (dPrev, (B, H), columns [j0, j1)): into dH
     * of step t−1, or at t = 0 into the initial state's gradient when one is wanted.
     */
    final void passStateGradient(float[] dPrev, int t, int j0, int j1) {
        LayerTape tape = pass.tape();
        float[] dStateIn = pass.dStateIn();
        int bs = tape.batchSize;
        for (int b = 0; b < bs; b++) {
            int s = b * hidden;
            if (t > 0) {
                int row = (t - 1) * bs * hidden + s;
                for (int j = j0; j < j1; j++) tape.dH[row + j] += dPrev[s + j];
            } else if (dStateIn != null) {
                System.arraycopy(dPrev, s + j0, dStateIn, pass.hAt() + s + j0, j1 - j0);
            }
        }
    }

    /** Buffers every cell keeps: the states h_t and the gradient reaching them. */
    static class LayerTape {
        final int batchSize, numSteps;
        final float[] hAll; // (T+1, B, H): block 0 is the initial h, block t+1 is h_t
        final float[] dH;   // (T, B, H) gradient reaching h_t (from above, then from step t+1)

        LayerTape(int batchSize, int numSteps, int hidden) {
            this.batchSize = batchSize;
            this.numSteps = numSteps;
            this.hAll = new float[(numSteps + 1) * batchSize * hidden];
            this.dH = new float[numSteps * batchSize * hidden];
        }

        /** Offset of h_t's (B, H) block in hAll; t = -1 is the initial state. */
        int h(int t, int hidden) {
            return (t + 1) * batchSize * hidden;
        }

        void clearGradient() {
            Arrays.fill(dH, 0f);
        }
    }
}
