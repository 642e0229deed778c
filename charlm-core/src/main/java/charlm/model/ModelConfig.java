package charlm.model;

/**
 * The shape of a model: vocabulary size V, hidden units H, the recurrent cell and how many layers
 * of it, the activation of a plain RNN cell, and the input layer (one-hot, or an embedding of E
 * dimensions).
 */
public record ModelConfig(int vocabSize, int hiddens, Activation activation, InputKind input, int embedDim,
                          CellType cell, int layers) {

    public ModelConfig {
        if (vocabSize < 1) throw new IllegalArgumentException("vocabulary size must be positive");
        if (hiddens < 1) throw new IllegalArgumentException("hidden units must be positive");
        if (layers < 1) throw new IllegalArgumentException("layers must be positive");
        java.util.Objects.requireNonNull(cell, "cell");
        if (input == InputKind.EMBEDDING && embedDim < 1) throw new IllegalArgumentException("embedding size must be positive");
        if (input == InputKind.ONEHOT) embedDim = 0;
        if (!cell.usesActivation()) activation = Activation.TANH; // gated cells have their own nonlinearities
    }

    /** One layer of the plain RNN cell. */
    public ModelConfig(int vocabSize, int hiddens, Activation activation, InputKind input, int embedDim) {
        this(vocabSize, hiddens, activation, input, embedDim, Cells.RNN, 1);
    }

    /** The chapter's model: one-hot inputs, one tanh RNN layer. */
    public static ModelConfig chapter(int vocabSize, int hiddens) {
        return new ModelConfig(vocabSize, hiddens, Activation.TANH, InputKind.ONEHOT, 0);
    }

    /** State tensors per layer: h, and c for an LSTM. */
    public int stateSlots() {
        return cell.stateSlots();
    }

    /** Floats of the whole carried state for a batch of B: layers × slots × (B, H). */
    public int stateSize(int batchSize) {
        return layers * stateSlots() * batchSize * hiddens;
    }
}
