package charlm.model;

/**
 * Everything a forward pass over one (B, T) minibatch keeps for its backward pass, allocated once
 * per shape and reused for every minibatch. Rows are time-major, as the chapter's outputs:
 * row t·B + b is step t of sequence b.
 */
public final class Tape {
    public final int batchSize;  // B
    public final int numSteps;   // T
    final int[] xT;              // (T, B) input tokens
    final int[] yT;              // (T, B) target tokens
    final float[] emb;           // (T, B, E) gathered embeddings (embedding input only)
    final float[] dEmb;          // (T, B, E)
    final float[] logits;        // (T, B, V)
    final float[] dLogits;       // (T, B, V)
    final double[] rowLoss;      // (T, B)
    private final int hidden;    // H
    boolean training;            // whether the last forward pass over this tape was a training one
    final RecurrentLayer.LayerTape[] layers;
    final RecurrentLayer.Pass[] forwardPasses, backwardPasses; // each layer's last call over this tape (see RnnModel)
    // Dropout on each layer's output (what the layer above, or the output layer, reads): made when first asked for.
    float dropout;               // the probability p of dropping a unit; 0: none
    long dropoutKey;             // this minibatch's masks are a function of it (see RnnModel)
    float[][] mask;              // (layers) x (T, B, H): 0 or 1/(1 − p)
    float[][] dropped;           // (layers) x (T, B, H): the layer's outputs times the mask

    Tape(ModelConfig c, RecurrentLayer[] cells, int batchSize, int numSteps) {
        if (batchSize <= 0 || numSteps <= 0) throw new IllegalArgumentException("batch size and steps must be positive");
        this.batchSize = batchSize;
        this.numSteps = numSteps;
        int rows = batchSize * numSteps;
        xT = new int[rows];
        yT = new int[rows];
        emb = new float[rows * c.embedDim()];
        dEmb = new float[rows * c.embedDim()];
        logits = new float[rows * c.vocabSize()];
        dLogits = new float[rows * c.vocabSize()];
        rowLoss = new double[rows];
        hidden = c.hiddens();
        layers = new RecurrentLayer.LayerTape[cells.length];
        for (int l = 0; l < cells.length; l++) layers[l] = cells[l].newTape(batchSize, numSteps);
        forwardPasses = new RecurrentLayer.Pass[cells.length];
        backwardPasses = new RecurrentLayer.Pass[cells.length];
    }

    /**
     * Inverted dropout for the next training forward pass over this tape: each layer's outputs are
     * zeroed with probability p and the rest scaled by 1/(1 − p), by masks drawn from key (one draw of
     * the run's generator per minibatch, so the masks are the same for any thread count and a resumed
     * run draws the same ones). p = 0 turns it off. Evaluation and generation never drop.
     */
    public void setDropout(double p, long key) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
        this.dropout = (float) p;
        this.dropoutKey = key;
        if (p > 0 && mask == null) {
            mask = new float[layers.length][batchSize * numSteps * hidden];
            dropped = new float[layers.length][batchSize * numSteps * hidden];
        }
    }

    /** The mask of layer l's outputs in the last training pass, (T, B, H) time-major (for tests). */
    float[] mask(int l) {
        return mask[l];
    }

    /** The (T·B, V) logits of the last forward pass, in the chapter's time-major order. */
    public float[] logits() {
        return logits;
    }

    /** The (T·B, V) gradient of the mean loss with respect to the logits, set by {@link RnnModel#loss}. */
    public float[] dLogits() {
        return dLogits;
    }
}
