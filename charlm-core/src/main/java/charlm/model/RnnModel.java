package charlm.model;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.SoftmaxCrossEntropy;
import charlm.kernels.Workers;

/**
 * The chapter's recurrent network over flat arrays:
 * H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h),  O_t = H_t W_hq + b_q,
 * with X_t one-hot (so X_t W_xh is row x_t of W_xh: a gather, no product) or a learned embedding
 * E[x_t] (exercise 1). Forward over a (B, T) minibatch gives (T·B, V) logits and the final state;
 * backward is backpropagation through time written out by hand.
 *
 * <p>Work inside a step is split over the hidden units (columns) across {@link Workers}; the big
 * products that do not depend on the recurrence (output layer, weight gradients) run once over all
 * T·B rows. Nothing here allocates after the tape is made.
 */
public final class RnnModel {
    private static final int ALIGN = 16; // column blocks on whole vectors

    public final ModelConfig config;
    public final Parameters params;
    private final int vocab, hidden, embed;
    private final Parameters.Tensor wEmbed, wXh, wHh, bH, wHq, bQ;
    private final Kernels kernels;
    private final Workers workers;
    private final float[] whhT; // (H, H) W_hh transposed, refreshed at each backward
    private final float[] wxhT; // (H, E) W_xh transposed (embedding input only)
    private final Job job = new Job();

    public RnnModel(ModelConfig config, Kernels kernels, Workers workers) {
        this.config = config;
        this.kernels = kernels;
        this.workers = workers;
        this.vocab = config.vocabSize();
        this.hidden = config.hiddens();
        this.embed = config.embedDim();
        Parameters.Builder b = Parameters.builder();
        boolean embedding = config.input() == InputKind.EMBEDDING;
        if (embedding) b.add(Names.W_EMBED, vocab, embed);
        b.add(Names.W_XH, embedding ? embed : vocab, hidden)
                .add(Names.W_HH, hidden, hidden)
                .add(Names.B_H, hidden)
                .addTransposed(Names.W_HQ, hidden, vocab) // stored (V, H)
                .add(Names.B_Q, vocab);
        this.params = b.build();
        this.wEmbed = embedding ? params.tensor(Names.W_EMBED) : null;
        this.wXh = params.tensor(Names.W_XH);
        this.wHh = params.tensor(Names.W_HH);
        this.bH = params.tensor(Names.B_H);
        this.wHq = params.tensor(Names.W_HQ);
        this.bQ = params.tensor(Names.B_Q);
        this.whhT = new float[hidden * hidden];
        this.wxhT = new float[hidden * embed];
    }

    /** The chapter's parameter names. */
    public static final class Names {
        public static final String W_EMBED = "W_embed", W_XH = "W_xh", W_HH = "W_hh", B_H = "b_h", W_HQ = "W_hq", B_Q = "b_q";

        private Names() {
        }
    }

    /**
     * The chapter's initialisation: weights from N(0, 0.01²), biases zero, drawn from rng in the order
     * W_xh, W_hh, W_hq, each in its chapter shape, row-major. An embedding table is drawn first from
     * N(0, 1), as a learned lookup table usually starts.
     */
    public void initialize(Rng rng) {
        java.util.Arrays.fill(params.data, 0f);
        if (wEmbed != null) fillNormal(wEmbed, rng, 1.0);
        fillNormal(wXh, rng, 0.01);
        fillNormal(wHh, rng, 0.01);
        fillNormal(wHq, rng, 0.01);
    }

    private void fillNormal(Parameters.Tensor t, Rng rng, double std) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        params.write(t, v, params.data);
    }

    public Tape newTape(int batchSize, int numSteps) {
        return new Tape(config, batchSize, numSteps);
    }

    /** begin_state: zeros (B, H). */
    public float[] beginState(int batchSize) {
        return new float[batchSize * hidden];
    }

    public Kernels kernels() {
        return kernels;
    }

    public Workers workers() {
        return workers;
    }

    // ------------------------------------------------------------------ forward

    /**
     * Runs the network over x (B, T) from state (B, H); afterwards the tape holds the (T·B, V)
     * logits and state holds the final hidden state h_T (the input state is kept on the tape).
     */
    public void forward(Tape tape, int[] x, float[] state) {
        int bs = tape.batchSize, steps = tape.numSteps;
        for (int b = 0; b < bs; b++) {
            for (int t = 0; t < steps; t++) tape.xT[t * bs + b] = x[b * steps + t];
        }
        System.arraycopy(state, 0, tape.hAll, 0, bs * hidden);
        job.tape = tape;
        if (wEmbed != null) dispatch(Job.EMBED_GATHER, 0);
        for (int t = 0; t < steps; t++) dispatch(Job.FORWARD_STEP, t);
        dispatch(Job.LOGITS, 0);
        System.arraycopy(tape.hAll, steps * bs * hidden, state, 0, bs * hidden);
    }

    /** H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h) for the columns [j0, j1) of every row b. */
    private void forwardStep(Tape tape, int t, int j0, int j1) {
        int bs = tape.batchSize;
        float[] w = params.data;
        float[] h = tape.hAll;
        int prev = t * bs * hidden, out = (t + 1) * bs * hidden; // (B, H) blocks
        for (int b = 0; b < bs; b++) {
            int row = out + b * hidden;
            int bias = bH.offset();
            if (wEmbed == null) {
                int x = wXh.offset() + tape.xT[t * bs + b] * hidden; // one-hot row x_t of W_xh
                for (int j = j0; j < j1; j++) h[row + j] = w[bias + j] + w[x + j];
            } else {
                for (int j = j0; j < j1; j++) h[row + j] = w[bias + j];
            }
        }
        int n = j1 - j0;
        if (wEmbed != null) {
            kernels.gemmNN(bs, n, embed, tape.emb, t * bs * embed, embed, w, wXh.offset() + j0, hidden, h, out + j0, hidden);
        }
        kernels.gemmNN(bs, n, hidden, h, prev, hidden, w, wHh.offset() + j0, hidden, h, out + j0, hidden);
        for (int b = 0; b < bs; b++) {
            if (config.activation() == Activation.TANH) kernels.tanh(h, out + b * hidden + j0, n);
            else kernels.relu(h, out + b * hidden + j0, n);
        }
    }

    /** O = Hs W_hq + b_q for rows [r0, r1) of the T·B outputs. */
    private void logits(Tape tape, int r0, int r1) {
        float[] w = params.data;
        for (int r = r0; r < r1; r++) System.arraycopy(w, bQ.offset(), tape.logits, r * vocab, vocab);
        int hs = tape.batchSize * hidden; // outputs start at block 1 of hAll
        kernels.gemmNT(r1 - r0, vocab, hidden, tape.hAll, hs + r0 * hidden, hidden, w, wHq.offset(), hidden,
                tape.logits, r0 * vocab, vocab);
    }

    /**
     * Mean softmax cross-entropy of the logits against y (B, T), and its gradient dLogits on the
     * tape (scaled by 1/(T·B), as the mean). Per-row losses are summed in a fixed order so the value
     * does not depend on the number of threads.
     */
    public double loss(Tape tape, int[] y) {
        int bs = tape.batchSize, steps = tape.numSteps;
        for (int b = 0; b < bs; b++) {
            for (int t = 0; t < steps; t++) tape.yT[t * bs + b] = y[b * steps + t];
        }
        job.tape = tape;
        dispatch(Job.LOSS, 0);
        double sum = 0;
        for (int r = 0; r < bs * steps; r++) sum += tape.rowLoss[r];
        return sum / (bs * steps);
    }

    // ------------------------------------------------------------------ backward

    /*
     * Backpropagation through time, in the chapter's notation, with A_t the pre-activation and
     * L the mean loss over the T·B outputs:
     *   dO = (softmax(O) − onehot(Y)) / (T·B)                         (from loss)
     *   dW_hq += Hsᵀ dO,  db_q += Σ_rows dO,  dH_t = dO_t W_hqᵀ       (all T steps at once)
     *   for t = T−1 .. 0:  dH_t += dA_{t+1} W_hhᵀ  (not at T−1, where dH_T comes from outside)
     *                      dA_t  = dH_t ⊙ φ'(A_t)     (tanh: 1 − H_t²;  ReLU: [H_t > 0])
     *   dW_hh += Σ_t H_{t−1}ᵀ dA_t,  db_h += Σ dA_t,  dW_xh[x_t] += dA_t  (one-hot: a scatter)
     *   dH_{-1} = dA_0 W_hhᵀ                                         (the incoming state's gradient)
     * Only the loop over t is sequential; every sum over steps is a single product over T·B rows.
     */

    /**
     * Adds the gradients of the mean loss of the last forward pass into params.grad.
     *
     * @param dStateOut gradient with respect to h_T from later steps (no-detach training), or null
     * @param dStateIn  if not null, receives the gradient with respect to the initial state (B, H)
     */
    public void backward(Tape tape, float[] dStateOut, float[] dStateIn) {
        backward(tape, dStateOut, dStateIn, true);
    }

    /**
     * As {@link #backward(Tape, float[], float[])}; with fromOutputs false the tape's own outputs send
     * no gradient (their loss was already used), only dStateOut flows back through its steps. Training
     * without detaching uses this to carry a later minibatch's gradient into earlier ones.
     */
    public void backward(Tape tape, float[] dStateOut, float[] dStateIn, boolean fromOutputs) {
        job.tape = tape;
        job.fromOutputs = fromOutputs;
        job.dStateOut = dStateOut;
        dispatch(Job.OUTPUT_BACKWARD, 0);
        for (int t = tape.numSteps - 1; t >= 0; t--) dispatch(Job.BACKWARD_STEP, t);
        dispatch(Job.WEIGHT_GRADIENTS, 0);
        if (wEmbed != null) dispatch(Job.EMBED_SCATTER, 0);
        if (dStateIn != null) {
            java.util.Arrays.fill(dStateIn, 0f);
            job.dStateIn = dStateIn;
            dispatch(Job.STATE_GRADIENT, 0);
        }
        job.dStateOut = null;
        job.dStateIn = null;
    }

    private void outputBackward(Tape tape, int part, int parts) {
        float[] w = params.data, g = params.grad;
        int rows = tape.batchSize * tape.numSteps;
        int hs = tape.batchSize * hidden;
        // dH = dO W_hqᵀ: W_hq is stored (V, H), so this is dO (rows, V) · Wq (V, H).
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        java.util.Arrays.fill(tape.dH, r0 * hidden, r1 * hidden, 0f);
        int j0 = Workers.start(part, parts, hidden, ALIGN), j1 = Workers.end(part, parts, hidden, ALIGN);
        transposeRecurrentWeights(j0, j1);
        if (!job.fromOutputs) return;
        kernels.gemmNN(r1 - r0, hidden, vocab, tape.dLogits, r0 * vocab, vocab, w, wHq.offset(), hidden,
                tape.dH, r0 * hidden, hidden);
        // dW_hq (stored (V, H)) += dOᵀ Hs, split over hidden columns.
        kernels.gemmTN(vocab, j1 - j0, rows, tape.dLogits, 0, vocab, tape.hAll, hs + j0, hidden,
                g, wHq.offset() + j0, hidden);
        if (part == 0) {
            int bq = bQ.offset();
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < vocab; v++) g[bq + v] += tape.dLogits[r * vocab + v];
            }
        }
    }

    /** Rows [j0, j1) of W_hhᵀ (and W_xhᵀ for an embedding input) for the backward products. */
    private void transposeRecurrentWeights(int j0, int j1) {
        float[] w = params.data;
        int whh = wHh.offset();
        for (int j = j0; j < j1; j++) {
            for (int i = 0; i < hidden; i++) whhT[j * hidden + i] = w[whh + i * hidden + j];
        }
        if (wEmbed != null) {
            for (int j = j0; j < j1; j++) {
                for (int e = 0; e < embed; e++) wxhT[j * embed + e] = w[wXh.offset() + e * hidden + j];
            }
        }
    }

    private void backwardStep(Tape tape, int t, int j0, int j1) {
        int bs = tape.batchSize;
        int block = t * bs * hidden; // (B, H) block of step t in dH, dA; h_t is block t+1 of hAll
        int n = j1 - j0;
        if (t == tape.numSteps - 1) {
            if (job.dStateOut != null) {
                for (int b = 0; b < bs; b++) {
                    int row = b * hidden;
                    for (int j = j0; j < j1; j++) tape.dH[block + row + j] += job.dStateOut[row + j];
                }
            }
        } else {
            kernels.gemmNN(bs, n, hidden, tape.dA, block + bs * hidden, hidden, whhT, j0, hidden, tape.dH, block + j0, hidden);
        }
        int h = (t + 1) * bs * hidden;
        for (int b = 0; b < bs; b++) {
            int row = b * hidden + j0;
            if (config.activation() == Activation.TANH) kernels.tanhBackward(tape.dH, block + row, tape.hAll, h + row, tape.dA, block + row, n);
            else kernels.reluBackward(tape.dH, block + row, tape.hAll, h + row, tape.dA, block + row, n);
        }
    }

    private void weightGradients(Tape tape, int part, int parts) {
        float[] g = params.grad;
        int rows = tape.batchSize * tape.numSteps;
        // dW_hh += Σ_t H_{t−1}ᵀ dA_t: H_{t−1} for all t is hAll's first T blocks, (rows, H).
        int i0 = Workers.start(part, parts, hidden, 1), i1 = Workers.end(part, parts, hidden, 1);
        kernels.gemmTN(i1 - i0, hidden, rows, tape.hAll, i0, hidden, tape.dA, 0, hidden, g, wHh.offset() + i0 * hidden, hidden);
        int j0 = Workers.start(part, parts, hidden, ALIGN), j1 = Workers.end(part, parts, hidden, ALIGN);
        int bh = bH.offset();
        for (int r = 0; r < rows; r++) {
            int row = r * hidden;
            for (int j = j0; j < j1; j++) g[bh + j] += tape.dA[row + j];
        }
        if (wEmbed == null) {
            int wxh = wXh.offset();
            for (int r = 0; r < rows; r++) {
                int dst = wxh + tape.xT[r] * hidden, src = r * hidden;
                for (int j = j0; j < j1; j++) g[dst + j] += tape.dA[src + j];
            }
        } else {
            // dW_xh += Embᵀ dA over hidden columns; dEmb = dA W_xhᵀ over rows.
            kernels.gemmTN(embed, j1 - j0, rows, tape.emb, 0, embed, tape.dA, j0, hidden, g, wXh.offset() + j0, hidden);
            int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
            java.util.Arrays.fill(tape.dEmb, r0 * embed, r1 * embed, 0f);
            kernels.gemmNN(r1 - r0, embed, hidden, tape.dA, r0 * hidden, hidden, wxhT, 0, embed, tape.dEmb, r0 * embed, embed);
        }
    }

    private void embedGather(Tape tape, int part, int parts) {
        int rows = tape.batchSize * tape.numSteps;
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        for (int r = r0; r < r1; r++) System.arraycopy(params.data, wEmbed.offset() + tape.xT[r] * embed, tape.emb, r * embed, embed);
    }

    private void embedScatter(Tape tape, int part, int parts) {
        int rows = tape.batchSize * tape.numSteps;
        int e0 = Workers.start(part, parts, embed, 1), e1 = Workers.end(part, parts, embed, 1);
        float[] g = params.grad;
        for (int r = 0; r < rows; r++) {
            int dst = wEmbed.offset() + tape.xT[r] * embed, src = r * embed;
            for (int e = e0; e < e1; e++) g[dst + e] += tape.dEmb[src + e];
        }
    }

    /** dH_{-1} = dA_0 W_hhᵀ for columns [j0, j1). */
    private void stateGradient(Tape tape, int j0, int j1) {
        kernels.gemmNN(tape.batchSize, j1 - j0, hidden, tape.dA, 0, hidden, whhT, j0, hidden, job.dStateIn, j0, hidden);
    }

    // ------------------------------------------------------------------ single-sequence stepping

    /** A forward-only cursor over one sequence (B = 1) for generation and evaluation. */
    public Stepper stepper() {
        return new Stepper();
    }

    public final class Stepper {
        private float[] h = new float[hidden];
        private float[] next = new float[hidden];
        private final float[] out = new float[vocab];

        /** Back to begin_state: zeros. */
        public void reset() {
            java.util.Arrays.fill(h, 0f);
        }

        /** Consumes one token; returns the logits (V) for the next one (valid until the next call). */
        public float[] step(int token) {
            float[] w = params.data;
            if (wEmbed == null) {
                System.arraycopy(w, wXh.offset() + token * hidden, next, 0, hidden);
            } else {
                java.util.Arrays.fill(next, 0f);
                kernels.gemmNN(1, hidden, embed, w, wEmbed.offset() + token * embed, embed, w, wXh.offset(), hidden, next, 0, hidden);
            }
            for (int j = 0; j < hidden; j++) next[j] += w[bH.offset() + j];
            kernels.gemmNN(1, hidden, hidden, h, 0, hidden, w, wHh.offset(), hidden, next, 0, hidden);
            if (config.activation() == Activation.TANH) kernels.tanh(next, 0, hidden);
            else kernels.relu(next, 0, hidden);
            float[] swap = h;
            h = next;
            next = swap;
            System.arraycopy(w, bQ.offset(), out, 0, vocab);
            kernels.gemmNT(1, vocab, hidden, h, 0, hidden, w, wHq.offset(), hidden, out, 0, vocab);
            return out;
        }

        public float[] state() {
            return h;
        }
    }

    // ------------------------------------------------------------------ dispatch

    private void dispatch(int phase, int t) {
        job.phase = phase;
        job.t = t;
        workers.run(job);
    }

    /** The one task object handed to the workers: which phase, which step. Reused, never reallocated. */
    private final class Job implements Workers.Task {
        static final int EMBED_GATHER = 0, FORWARD_STEP = 1, LOGITS = 2, LOSS = 3, OUTPUT_BACKWARD = 4,
                BACKWARD_STEP = 5, WEIGHT_GRADIENTS = 6, EMBED_SCATTER = 7, STATE_GRADIENT = 8;
        int phase, t;
        Tape tape;
        float[] dStateOut, dStateIn;
        boolean fromOutputs = true;

        @Override
        public void run(int part, int parts) {
            int rows = tape.batchSize * tape.numSteps;
            int j0 = Workers.start(part, parts, hidden, ALIGN), j1 = Workers.end(part, parts, hidden, ALIGN);
            int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
            switch (phase) {
                case EMBED_GATHER -> embedGather(tape, part, parts);
                case FORWARD_STEP -> forwardStep(tape, t, j0, j1);
                case LOGITS -> logits(tape, r0, r1);
                case LOSS -> SoftmaxCrossEntropy.forwardBackward(tape.logits, vocab, tape.yT, r0, r1, tape.rowLoss,
                        tape.dLogits, 1f / rows);
                case OUTPUT_BACKWARD -> outputBackward(tape, part, parts);
                case BACKWARD_STEP -> backwardStep(tape, t, j0, j1);
                case WEIGHT_GRADIENTS -> weightGradients(tape, part, parts);
                case EMBED_SCATTER -> embedScatter(tape, part, parts);
                case STATE_GRADIENT -> stateGradient(tape, j0, j1);
                default -> throw new IllegalStateException("unknown phase " + phase);
            }
        }
    }
}
