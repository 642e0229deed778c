package charlm.model;

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
 * in its constructor, and writes each phase of a step as a method of its own, run by a task it makes
 * once. Work inside a step is split over hidden columns; the all-steps products over rows or
 * columns, never over a sum.
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

    // The call in progress, set by RnnModel before each forward and backward, read by the phases.
    LayerTape tape;
    boolean training;   // whether the forward pass that fills the tape is a training one
    int[] tokens;       // (T·B) time-major, for token input
    float[] xs;         // (T·B, D) input rows from xsOff, or null for token input
    int xsOff;
    float[] dxs;        // (T·B, D) gradient of the input rows, or null
    float[] state;      // the model's state array
    float[] dStateOut, dStateIn; // gradients of the final and of the initial state, same layout, or null
    int hInState;       // where this layer's h (B, H) starts in state, dStateOut and dStateIn
    int cInState;       // where its c (B, H) starts, for a cell with two state slots

    /** Whether this forward pass reads the recurrent weights from the panels {@link #packForward} made. */
    boolean packedForward;

    private final Workers.Task prepareTask;

    RecurrentLayer(Setup s) {
        this.inputs = s.inputs();
        this.hidden = s.hidden();
        this.tokenInput = s.tokenInput();
        this.prefix = s.prefix();
        this.kernels = s.kernels();
        this.workers = s.workers();
        this.prepareTask = Workers.named(phase("input projection and panels"), this::prepare);
    }

    /** Hands the layer the finished parameters that hold the tensors it declared when it was built. */
    final void attach(Parameters p) {
        params = p;
    }

    abstract LayerTape newTape(int batchSize, int numSteps);

    // ------------------------------------------------------------------ forward

    /** Runs the layer over the tape's T steps from state; leaves the final state in state. */
    final void forward() {
        int bh = tape.batchSize * hidden;
        System.arraycopy(state, hInState, tape.hAll, 0, bh);
        loadCell();
        // One step alone (a Stepper's) reads W_h* in place: packing would cost as much as the step.
        packedForward = tape.numSteps > 1;
        if (!gathersInStep() || packedForward) workers.run(prepareTask);
        for (int t = 0; t < tape.numSteps; t++) forward(t);
        System.arraycopy(tape.hAll, tape.h(tape.numSteps - 1, hidden), state, hInState, bh);
        saveCell();
    }

    /** Before the steps: the input projection (this part's rows) and the weights' panels (its columns). */
    private void prepare(int part, int parts) {
        if (!gathersInStep()) projectInputs(part, parts);
        if (packedForward) packForward(part, parts);
    }

    /** Packs this part's columns of the recurrent weights into panels (see {@link #packColumns}); none by default. */
    void packForward(int part, int parts) {
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

    /** Backward through time; tape.dH holds the gradient of the loss with respect to every output h_t. */
    abstract void backward();

    // ------------------------------------------------------------------ dispatch

    /** One phase of a time step: the work of one part at step t. */
    @FunctionalInterface
    interface StepPhase {
        void run(int t, int part, int parts);
    }

    /**
     * A step's phase as a task for the workers. A layer makes one per phase when it is built and
     * sets the step before each run, so running a step allocates nothing.
     */
    static final class StepTask implements Workers.Task {
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
            phase.run(t, part, parts);
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

    int rows() {
        return tape.batchSize * tape.numSteps;
    }

    /** This part's columns of H start here: blocks of whole 64-column panels. */
    final int columnStart(int part, int parts) {
        return Workers.start(part, parts, hidden, ALIGN);
    }

    /** This part's columns of H end here (exclusive). */
    final int columnEnd(int part, int parts) {
        return Workers.end(part, parts, hidden, ALIGN);
    }

    /*
     * Serpentine order. One thread's share of a step's weights is about its L2 (the LSTM's four
     * W_h* at H = 512: 2 MB of panels per thread, its L2 is 2 MB), and a cache walked in the same
     * order at every step keeps nothing when the data is a little larger than it: each line is
     * evicted just before it is read again. Walking the blocks the other way round on every other
     * step reads first what was read last, still in the cache. Which columns a part computes, and
     * how, does not change, so neither do the results.
     */

    /** The part whose columns to work on at step t: on odd steps each thread takes its own parts in reverse. */
    final int stepPart(int part, int parts, int t) {
        int threads = workers.parts();
        if ((t & 1) == 0 || parts % threads != 0) return part;
        int per = parts / threads, base = part - part % per;
        return base + per - 1 - (part - base);
    }

    /** The number of 64-column blocks in [j0, j1). */
    static int blocks(int j0, int j1) {
        return (j1 - j0 + ALIGN - 1) / ALIGN;
    }

    /** The first column of the q-th block of [j0, j1) at step t: counted from the end on odd steps. */
    static int blockAt(int j0, int j1, int q, int t) {
        return j0 + ((t & 1) == 0 ? q : blocks(j0, j1) - 1 - q) * ALIGN;
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
        for (int r = r0; r < r1; r++) {
            int row = outOff + r * hidden;
            if (tokenInput) gatherRow(out, row, wx, b, tokens[r], 0, hidden);
            else System.arraycopy(w, b.offset(), out, row, hidden);
        }
        if (!tokenInput && r1 > r0) {
            kernels.gemmNN(r1 - r0, hidden, inputs, xs, xsOff + r0 * inputs, inputs, w, wx.offset(), hidden, out, outOff + r0 * hidden, hidden);
        }
    }

    /**
     * Step t's A_g = b_g + X_t W_xg for token input, columns [j0, j1): a gather of the tokens' rows of
     * W_xg into out's (B, H) block at blk, the same sums as {@link #project} makes for all steps at
     * once, made where the step is about to add its product into them (see {@link #gathersInStep}).
     */
    final void gatherStep(float[] out, int blk, Parameters.Tensor wx, Parameters.Tensor b, int t, int j0, int j1) {
        int bs = tape.batchSize;
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
        if (tokenInput) {
            // X_r W_xg is a gather, so its gradient is a scatter: each row's slice of dA into db_g and,
            // still in L1, into its token's row of dW_xg.
            for (int r = 0; r < rows; r++) {
                int src = r * hidden + j0;
                kernels.add(dA, src, g, b.offset() + j0, j1 - j0);
                kernels.add(dA, src, g, wx.offset() + tokens[r] * hidden + j0, j1 - j0);
            }
        } else {
            for (int r = 0; r < rows; r++) kernels.add(dA, r * hidden + j0, g, b.offset() + j0, j1 - j0);
            kernels.gemmTN(inputs, j1 - j0, rows, xs, xsOff, inputs, dA, j0, hidden, g, wx.offset() + j0, hidden);
            if (dxs != null) {
                int r0 = rowStart(part, parts, rows), r1 = rowEnd(part, parts, rows);
                // dX (rows, D) += dA (rows, H) · W_xgᵀ, with W_xg stored (D, H): a product of rows with rows.
                kernels.gemmNT(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, params.data, wx.offset(), hidden, dxs, r0 * inputs, inputs);
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
     * with W_xgᵀ (H, D) at wxT from wxTOff (see {@link #transposeInput}), or wxT null: dX += dA W_xgᵀ is
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
        for (int r = 0; r < rows; r++) kernels.add(dA, r * hidden + j0, g, b.offset() + j0, j1 - j0);
        int i0 = rowStart(part, parts, inputs), i1 = rowEnd(part, parts, inputs);
        kernels.gemmTNPanels(i1 - i0, hidden, rows, xs, xsOff + i0, inputs, dAPanels, pOff, g, wx.offset() + i0 * hidden, hidden);
        if (dxs != null) {
            int r0 = rowStart(part, parts, rows), r1 = rowEnd(part, parts, rows);
            if (wxT != null) kernels.gemmNN(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, wxT, wxTOff, inputs, dxs, r0 * inputs, inputs);
            else kernels.gemmNT(r1 - r0, inputs, hidden, dA, r0 * hidden, hidden, params.data, wx.offset(), hidden, dxs, r0 * inputs, inputs);
        }
    }

    /** Columns [j0, j1) of W_xg (D, H) as rows of W_xgᵀ (H, D) at dst from dOff, in 16 × 16 tiles. */
    final void transposeInput(Parameters.Tensor wx, float[] dst, int dOff, int j0, int j1) {
        float[] d = params.data;
        int off = wx.offset();
        for (int i0 = 0; i0 < inputs; i0 += TILE) {
            int i1 = Math.min(i0 + TILE, inputs);
            for (int jt = j0; jt < j1; jt += TILE) {
                int jEnd = Math.min(jt + TILE, j1);
                for (int j = jt; j < jEnd; j++) {
                    for (int i = i0; i < i1; i++) dst[dOff + j * inputs + i] = d[off + i * hidden + j];
                }
            }
        }
    }

    /** As {@link #recurrentGradient(float[], int, float[], Parameters.Tensor, int, int)}, with dA in panels. */
    final void recurrentGradient(float[] prev, int prevOff, float[] dAPanels, int pOff, Parameters.Tensor wh, int part, int parts) {
        int i0 = rowStart(part, parts, hidden), i1 = rowEnd(part, parts, hidden);
        kernels.gemmTNPanels(i1 - i0, hidden, rows(), prev, prevOff + i0, hidden, dAPanels, pOff, params.grad, wh.offset() + i0 * hidden, hidden);
    }

    /**
     * Step t's rows of dA, columns [j0, j1), also into panels for the weight gradients
     * (Kernels#gemmTNPanels, k = T·B rows): written by the part that has just computed them, while
     * they are in its L1, instead of by every thread for itself later.
     */
    final void packStepRows(float[] dA, int t, int j0, int j1, float[] panels, int pOff) {
        int w = kernels.panelWidth(), bs = tape.batchSize, k = rows();
        for (int q0 = j0; q0 < j1; q0 += w) {
            int width = Math.min(w, hidden - q0), panel = pOff + q0 * k;
            for (int b = 0; b < bs; b++) {
                int r = t * bs + b;
                System.arraycopy(dA, r * hidden + q0, panels, panel + r * width, width);
            }
        }
    }

    /** dW_hg += Σ_t P_tᵀ dA_t with P = the previous states (or R ⊙ H for the GRU's candidate), this part's rows of dW. */
    final void recurrentGradient(float[] prev, int prevOff, float[] dA, Parameters.Tensor wh, int part, int parts) {
        int i0 = rowStart(part, parts, hidden), i1 = rowEnd(part, parts, hidden);
        kernels.gemmTN(i1 - i0, hidden, rows(), prev, prevOff + i0, hidden, dA, 0, hidden, params.grad, wh.offset() + i0 * hidden, hidden);
    }

    private static final int TILE = 16;

    // ------------------------------------------------------------------ packed panels

    /*
     * A step's products read, for the 64 columns a part owns, a (H, 64) block of each of G weights. In
     * place such a block is 256 bytes of each 2 KB row (H = 512): rows a power of two apart, so the
     * 512 rows of a block fall on an eighth of the L2's sets, and the blocks of one thread's four parts
     * and four gates overflow those sets' 16 ways while most of the cache stays empty. Packed, each
     * block of each weight is one contiguous (H, w) panel, read front to back:
     *   W_g[p, jb + u] at jb·G·H + g·H·w + p·w + u,  w = min(64, H − jb), jb a multiple of 64.
     * The packed backward weights hold W_gᵀ the same way: W_g[jb + u, p] at that place. A panel is
     * made by the part that reads it, so it is made in the L2 of the core that will use it. The sums
     * are the kernels' own, so nothing changes but where the numbers are read from.
     */

    /** Offset of gate g's panel of the block at column jb, in panels of G weights. */
    final int panel(int gates, int g, int jb) {
        return jb * gates * hidden + g * hidden * panelWidth(jb);
    }

    /** Width, and leading dimension, of the panels of the block at column jb. */
    final int panelWidth(int jb) {
        return Math.min(ALIGN, hidden - jb);
    }

    /** Columns [j0, j1) of each (H, H) weight in w into panels in dst. */
    final void packColumns(Parameters.Tensor[] w, float[] dst, int j0, int j1) {
        float[] d = params.data;
        for (int jb = j0; jb < j1; jb += ALIGN) {
            int wd = panelWidth(jb);
            for (int g = 0; g < w.length; g++) {
                int src = w[g].offset() + jb, out = panel(w.length, g, jb);
                for (int p = 0; p < hidden; p++) System.arraycopy(d, src + p * hidden, dst, out + p * wd, wd);
            }
        }
    }

    /**
     * Rows [j0, j1) of each (H, H) weight in w, transposed, into panels in dst: the backward
     * products' W_gᵀ. In 16 × 16 tiles: a tile's 16 source lines and 16 destination lines (64 bytes
     * each, whole cache lines) stay in L1, where a whole column of W (rows 2 KB apart) would miss on
     * every element (a plain transpose, H = 512, one core: 195 µs tiled against 240 with 8-row strips).
     */
    final void packTransposed(Parameters.Tensor[] w, float[] dst, int j0, int j1) {
        float[] d = params.data;
        for (int jb = j0; jb < j1; jb += ALIGN) {
            int wd = panelWidth(jb);
            for (int g = 0; g < w.length; g++) {
                int off = w[g].offset(), out = panel(w.length, g, jb);
                for (int p0 = 0; p0 < hidden; p0 += TILE) {
                    int p1 = Math.min(p0 + TILE, hidden);
                    for (int u0 = 0; u0 < wd; u0 += TILE) {
                        int u1 = Math.min(u0 + TILE, wd);
                        for (int p = p0; p < p1; p++) {
                            for (int u = u0; u < u1; u++) dst[out + p * wd + u] = d[off + (jb + u) * hidden + p];
                        }
                    }
                }
            }
        }
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
        if (t != tape.numSteps - 1 || dStateOut == null) return;
        int blk = t * tape.batchSize * hidden;
        for (int b = 0; b < tape.batchSize; b++) {
            int row = b * hidden;
            for (int j = j0; j < j1; j++) tape.dH[blk + row + j] += dStateOut[hInState + row + j];
        }
    }

    /**
     * Hands on the gradient that reached H_{t−1} at step t (dPrev, (B, H), columns [j0, j1)): into dH
     * of step t−1, or at t = 0 into the initial state's gradient when one is wanted.
     */
    final void passStateGradient(float[] dPrev, int t, int j0, int j1) {
        int bs = tape.batchSize;
        for (int b = 0; b < bs; b++) {
            int s = b * hidden;
            if (t > 0) {
                int row = (t - 1) * bs * hidden + s;
                for (int j = j0; j < j1; j++) tape.dH[row + j] += dPrev[s + j];
            } else if (dStateIn != null) {
                System.arraycopy(dPrev, s + j0, dStateIn, hInState + s + j0, j1 - j0);
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
