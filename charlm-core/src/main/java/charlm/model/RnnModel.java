package charlm.model;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.SoftmaxCrossEntropy;
import charlm.kernels.Workers;
import java.util.Arrays;

/**
 * The chapter's recurrent language model over flat arrays: an input layer (one-hot, so X_t W_xh is
 * row x_t of W_xh, a gather; or a learned embedding E[x_t]), one or more recurrent layers (the
 * chapter's RNN cell, or GRU / LSTM), and the output layer O_t = H_t W_hq + b_q on the top layer.
 * Forward over a (B, T) minibatch gives (T·B, V) logits and the final state; backward is
 * backpropagation through time written out by hand, layer by layer.
 *
 * <p>Parameter names are the book's: W_xh, W_hh, b_h, W_hq, b_q for one RNN layer (so the chapter's
 * and the reference's checkpoints load as they are), the gates' W_x*, W_h*, b_* for GRU and LSTM,
 * W_embed for an embedding, and "l0.", "l1.", ... before a layer's names when there are several.
 * Nothing here allocates after a tape's first forward and backward call.
 */
public final class RnnModel {
    public final ModelConfig config;
    public final Parameters params;
    private final int vocab, hidden, embed;
    private final RecurrentLayer[] layers;
    private final Parameters.Tensor wEmbed, wHq, bQ;
    private final Kernels kernels;
    private final Workers workers;
    private final double[][] exps; // (parts, V + pad): each part's scratch row for the loss

    // The call in progress, read by the model's own phases.
    private Tape tape;
    private boolean fromOutputs = true;

    // One task per phase of the model's own, made once: running a phase allocates nothing.
    private final Workers.Task gatherEmbeddingsTask = Workers.named("embedding gather", this::gatherEmbeddings);
    private final Workers.Task logitsTask = Workers.named("logits", this::logits);
    private final Workers.Task lossTask = Workers.named("softmax cross-entropy", this::crossEntropy);
    private final Workers.Task outputBackwardTask = Workers.named("output layer backward", this::outputBackward);
    private final Workers.Task scatterEmbeddingsTask = Workers.named("embedding scatter", this::scatterEmbeddings);
    private final Workers.Task dropTask = Workers.named("dropout", this::drop);
    private final Workers.Task dropGradientTask = Workers.named("dropout backward", this::dropGradient);
    private int dropLayer; // the layer whose outputs dropTask and dropGradientTask work on

    public RnnModel(ModelConfig config, Kernels kernels, Workers workers) {
        this.config = config;
        this.kernels = kernels;
        this.workers = workers;
        this.vocab = config.vocabSize();
        this.hidden = config.hiddens();
        this.embed = config.embedDim();
        // Padded by two cache lines: rows allocated one after another would otherwise share a line
        // between parts that two threads run at once.
        this.exps = new double[workers.partsPerRun()][vocab + 16];
        boolean embedding = config.input() == InputKind.EMBEDDING;
        Parameters.Builder b = Parameters.builder();
        wEmbed = embedding ? b.add(Names.W_EMBED, Parameters.Role.EMBEDDING, vocab, embed) : null;
        layers = new RecurrentLayer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            int inputs = l > 0 ? hidden : embedding ? embed : vocab;
            boolean tokens = l == 0 && !embedding;
            String prefix = layers.length == 1 ? "" : "l" + l + ".";
            RecurrentLayer.Setup setup = new RecurrentLayer.Setup(inputs, hidden, tokens, prefix, config.activation(), kernels, workers);
            layers[l] = config.cell().newLayer(setup, b);
        }
        // W_hq is stored (V, H): the long dimension is the vector one.
        wHq = b.addTransposed(Names.W_HQ, Parameters.Role.OUTPUT_WEIGHT, hidden, vocab);
        bQ = b.add(Names.B_Q, Parameters.Role.BIAS, vocab);
        this.params = b.build();
        for (RecurrentLayer layer : layers) layer.attach(params);
    }

    /** The names of the model's own tensors; the cells name theirs. */
    public static final class Names {
        public static final String W_EMBED = "W_embed", W_HQ = "W_hq", B_Q = "b_q";

        private Names() {
        }
    }

    /**
     * The book's initialisation, one tensor after another in declaration order, each drawn from rng
     * in its chapter shape, row-major: weights from N(0, 0.01²), biases zero (nothing drawn). That is
     * the embedding, then each layer's weights in the book's order, then W_hq. An embedding table is
     * drawn from N(0, 1), as a learned lookup table usually starts. See {@link Initializers} for others.
     */
    public void initialize(Rng rng) {
        Initializers.book(params, rng);
    }

    /** Another initialisation (see {@link Initializers}). */
    public void initialize(Rng rng, Initializer init) {
        init.initialize(params, rng);
    }

    public Tape newTape(int batchSize, int numSteps) {
        return new Tape(config, layers, batchSize, numSteps);
    }

    /** begin_state: zeros, (B, H) per layer (and a second (B, H) for an LSTM's memory cell). */
    public float[] beginState(int batchSize) {
        return new float[config.stateSize(batchSize)];
    }

    public Kernels kernels() {
        return kernels;
    }

    public Workers workers() {
        return workers;
    }

    // ------------------------------------------------------------------ forward

    /**
     * Runs the network over x (B, T) from state; afterwards the tape holds the (T·B, V) logits and
     * state holds the final state (the input state is kept on the tape).
     *
     * @param training true when training, false in evaluation and generation; recorded on the tape
     *                 for the layers and its backward pass: only a training pass drops units
     *                 ({@link Tape#setDropout})
     */
    public void forward(Tape tape, int[] x, float[] state, boolean training) {
        int bs = tape.batchSize, steps = tape.numSteps;
        for (int b = 0; b < bs; b++) {
            for (int t = 0; t < steps; t++) tape.xT[t * bs + b] = x[b * steps + t];
        }
        tape.training = training;
        this.tape = tape;
        if (wEmbed != null) workers.run(gatherEmbeddingsTask);
        for (int l = 0; l < layers.length; l++) {
            layers[l].forward(pass(l, state, null, null));
            if (dropping()) {
                dropLayer = l;
                workers.run(dropTask);
            }
        }
        workers.run(logitsTask);
    }

    /** Whether the pass in progress drops units: a training pass over a tape with dropout set. */
    private boolean dropping() {
        return tape.training && tape.dropout > 0;
    }

    /**
     * Layer l's share of the call in progress over this.tape: its tape, its input (tokens, the
     * embeddings, or the outputs of the layer below, with their gradient), and where its h and c sit
     * in the state arrays given (state for a forward pass, the state gradients for a backward one).
     * Kept on the tape and made again only when one of those arrays changes, which from one
     * minibatch (or generated character) to the next they do not: a call allocates nothing.
     */
    private RecurrentLayer.Pass pass(int l, float[] state, float[] dStateOut, float[] dStateIn) {
        float[] x = null, dX = null;
        int xOff = 0;
        if (l == 0) {
            if (wEmbed != null) {
                x = tape.emb;
                dX = tape.dEmb;
            }
        } else {
            RecurrentLayer.LayerTape below = tape.layers[l - 1];
            boolean dropped = dropping();
            x = dropped ? tape.dropped[l - 1] : below.hAll;
            xOff = dropped ? 0 : below.h(0, hidden); // outputs h_0 .. h_{T−1}
            dX = below.dH;                           // times the mask afterwards, when dropped
        }
        RecurrentLayer.Pass[] kept = state != null ? tape.forwardPasses : tape.backwardPasses;
        RecurrentLayer.Pass p = kept[l];
        if (p == null || p.x() != x || p.xOff() != xOff || p.state() != state || p.dStateOut() != dStateOut || p.dStateIn() != dStateIn) {
            int bh = tape.batchSize * hidden, hAt = l * config.stateSlots() * bh;
            kept[l] = p = new RecurrentLayer.Pass(tape.layers[l], tape.xT, x, xOff, dX, state, dStateOut, dStateIn, hAt, hAt + bh);
        }
        return p;
    }

    /**
     * Dropout on layer dropLayer's outputs, this part's rows: mask = [u ≥ p] / (1 − p) with u uniform
     * from a hash of (the minibatch's key, layer, element), so every element's draw is its own and no
     * thread order matters; dropped = h ⊙ mask is what the layer above (or the output layer) reads.
     */
    private void drop(int part, int parts) {
        int rows = rows(), l = dropLayer;
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        float[] mask = tape.mask[l], out = tape.dropped[l], h = tape.layers[l].hAll;
        int hs = tape.layers[l].h(0, hidden);
        long threshold = (long) Math.ceil(tape.dropout * (double) (1L << 24));
        float keep = 1f / (1f - tape.dropout);
        long base = tape.dropoutKey + (long) l * rows * hidden;
        for (int i = r0 * hidden; i < r1 * hidden; i++) {
            float m = uniform24(base + i) >= threshold ? keep : 0f;
            mask[i] = m;
            out[i] = h[hs + i] * m;
        }
    }

    /** 24 uniform bits from a counter: SplitMix64's finaliser of counter · golden ratio. */
    static long uniform24(long counter) {
        long z = (counter + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) >>> 40;
    }

    /** The gradient reaching layer dropLayer's outputs through dropout: dH ⊙= mask, this part's rows. */
    private void dropGradient(int part, int parts) {
        int rows = rows();
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        float[] mask = tape.mask[dropLayer], dH = tape.layers[dropLayer].dH;
        for (int i = r0 * hidden; i < r1 * hidden; i++) dH[i] *= mask[i];
    }

    /** X_t = E[x_t]: the embedding rows of the tokens, this part's rows of the T·B. */
    private void gatherEmbeddings(int part, int parts) {
        int r0 = Workers.start(part, parts, rows(), 1), r1 = Workers.end(part, parts, rows(), 1);
        for (int r = r0; r < r1; r++) System.arraycopy(params.data, wEmbed.offset() + tape.xT[r] * embed, tape.emb, r * embed, embed);
    }

    /** O = H W_hq + b_q, this part's rows of the top layer's T·B outputs. */
    private void logits(int part, int parts) {
        int r0 = Workers.start(part, parts, rows(), 1), r1 = Workers.end(part, parts, rows(), 1);
        float[] w = params.data;
        for (int r = r0; r < r1; r++) System.arraycopy(w, bQ.offset(), tape.logits, r * vocab, vocab);
        float[] top = topOutputs();
        int hs = topOffset();
        kernels.gemmNT(r1 - r0, vocab, hidden, top, hs + r0 * hidden, hidden, w, wHq.offset(), hidden, tape.logits, r0 * vocab, vocab);
    }

    /** What the output layer reads: the top layer's outputs, or them after dropout. */
    private float[] topOutputs() {
        return dropping() ? tape.dropped[layers.length - 1] : tape.layers[layers.length - 1].hAll;
    }

    private int topOffset() {
        return dropping() ? 0 : tape.layers[layers.length - 1].h(0, hidden);
    }

    /** T·B rows of the tape in progress. */
    private int rows() {
        return tape.batchSize * tape.numSteps;
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
        this.tape = tape;
        workers.run(lossTask);
        double sum = 0;
        for (int r = 0; r < bs * steps; r++) sum += tape.rowLoss[r];
        return sum / (bs * steps);
    }

    /** Each row's loss and dLogits, this part's rows. */
    private void crossEntropy(int part, int parts) {
        int rows = rows();
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        SoftmaxCrossEntropy.forwardBackward(tape.logits, vocab, tape.yT, r0, r1, tape.rowLoss, tape.dLogits, 1f / rows, exps[part]);
    }

    // ------------------------------------------------------------------ backward

    /**
     * Adds the gradients of the mean loss of the last forward pass into params.grad.
     *
     * @param dStateOut gradient with respect to the final state from later steps (no-detach training), or null
     * @param dStateIn  if not null, receives the gradient with respect to the initial state
     */
    public void backward(Tape tape, float[] dStateOut, float[] dStateIn) {
        backward(tape, dStateOut, dStateIn, true);
    }

    /**
     * As {@link #backward(Tape, float[], float[])}; with fromOutputs false the tape's own outputs send
     * no gradient (their loss was already used), only dStateOut flows back through its steps. Training
     * without detaching uses this to carry a later minibatch's gradient into earlier ones.
     *
     * <p>Output layer, over all T·B rows at once: dW_hq += Hᵀ dO, db_q += Σ dO, dH = dO W_hqᵀ;
     * then each layer from the top down, its input gradient becoming the gradient of the layer below.
     */
    public void backward(Tape tape, float[] dStateOut, float[] dStateIn, boolean fromOutputs) {
        this.tape = tape;
        this.fromOutputs = fromOutputs;
        workers.run(outputBackwardTask);
        if (dStateIn != null) Arrays.fill(dStateIn, 0f);
        for (int l = layers.length - 1; l >= 0; l--) {
            if (l > 0) tape.layers[l - 1].clearGradient(); // receives this layer's dX
            if (wEmbed != null && l == 0) Arrays.fill(tape.dEmb, 0f);
            layers[l].backward(pass(l, null, dStateOut, dStateIn));
            if (l > 0 && dropping()) { // the layer below's outputs were dropped on their way up
                dropLayer = l - 1;
                workers.run(dropGradientTask);
            }
        }
        if (wEmbed != null) workers.run(scatterEmbeddingsTask);
    }

    /** The output layer's backward, this part's rows of dH and columns of dW_hq. */
    private void outputBackward(int part, int parts) {
        float[] w = params.data, g = params.grad;
        int rows = rows();
        RecurrentLayer.LayerTape top = tape.layers[layers.length - 1];
        // dH = dO W_hqᵀ: W_hq is stored (V, H), so this is dO (rows, V) · Wq (V, H).
        int r0 = Workers.start(part, parts, rows, 1), r1 = Workers.end(part, parts, rows, 1);
        Arrays.fill(top.dH, r0 * hidden, r1 * hidden, 0f);
        if (!fromOutputs) return;
        kernels.gemmNN(r1 - r0, hidden, vocab, tape.dLogits, r0 * vocab, vocab, w, wHq.offset(), hidden, top.dH, r0 * hidden, hidden);
        if (dropping()) { // the output layer read the outputs after dropout: dH ⊙= mask
            float[] mask = tape.mask[layers.length - 1];
            for (int i = r0 * hidden; i < r1 * hidden; i++) top.dH[i] *= mask[i];
        }
        // dW_hq (stored (V, H)) += dOᵀ H, split over hidden columns.
        int j0 = Workers.start(part, parts, hidden, RecurrentLayer.ALIGN), j1 = Workers.end(part, parts, hidden, RecurrentLayer.ALIGN);
        kernels.gemmTN(vocab, j1 - j0, rows, tape.dLogits, 0, vocab, topOutputs(), topOffset() + j0, hidden, g, wHq.offset() + j0, hidden);
        if (part == 0) {
            int bq = bQ.offset();
            for (int r = 0; r < rows; r++) kernels.add(tape.dLogits, r * vocab, g, bq, vocab);
        }
    }

    /** dE[x_t] += dX_t: the gradient of a gather is a scatter, this part's columns of E. */
    private void scatterEmbeddings(int part, int parts) {
        int rows = rows();
        int e0 = Workers.start(part, parts, embed, 1), e1 = Workers.end(part, parts, embed, 1);
        float[] g = params.grad;
        for (int r = 0; r < rows; r++) kernels.add(tape.dEmb, r * embed + e0, g, wEmbed.offset() + tape.xT[r] * embed + e0, e1 - e0);
    }

    // ------------------------------------------------------------------ single-sequence stepping

    /** A forward-only cursor over one sequence (B = 1) for generation and evaluation. */
    public Stepper stepper() {
        return new Stepper();
    }

    public final class Stepper {
        private final Tape tape = newTape(1, 1);
        private final float[] state = beginState(1);
        private final int[] token = new int[1];

        /** Back to begin_state: zeros. */
        public void reset() {
            Arrays.fill(state, 0f);
        }

        /** Consumes one token; returns the logits (V) for the next one (valid until the next call). */
        public float[] step(int x) {
            token[0] = x;
            forward(tape, token, state, false);
            return tape.logits;
        }
    }
}
