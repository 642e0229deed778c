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
    boolean training;            // whether the last forward pass over this tape was a training one
    final RecurrentLayer.LayerTape[] layers;

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
        layers = new RecurrentLayer.LayerTape[cells.length];
        for (int l = 0; l < cells.length; l++) layers[l] = cells[l].newTape(batchSize, numSteps);
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
