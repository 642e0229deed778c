package charlm.model;

/**
 * The shape of a model: vocabulary size V, hidden units H, activation, and the input layer
 * (one-hot, or an embedding of E dimensions).
 */
public record ModelConfig(int vocabSize, int hiddens, Activation activation, InputKind input, int embedDim) {

    public ModelConfig {
        if (vocabSize < 1) throw new IllegalArgumentException("vocabulary size must be positive");
        if (hiddens < 1) throw new IllegalArgumentException("hidden units must be positive");
        if (input == InputKind.EMBEDDING && embedDim < 1) throw new IllegalArgumentException("embedding size must be positive");
        if (input == InputKind.ONEHOT) embedDim = 0;
    }

    /** The chapter's model: one-hot inputs and tanh. */
    public static ModelConfig chapter(int vocabSize, int hiddens) {
        return new ModelConfig(vocabSize, hiddens, Activation.TANH, InputKind.ONEHOT, 0);
    }
}
