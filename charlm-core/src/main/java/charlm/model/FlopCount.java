package charlm.model;

/**
 * The matrix work of one training token, for reporting a rate against the machine's peak: every
 * product of a training step (forward, backward, weight gradients), counted 2 FLOP per multiply-add.
 * Leaves out the element-wise work (gates, tanh, softmax, biases, the update), which is O(H + V) per
 * token, and the one-hot gather and its scatter, which multiply nothing.
 *
 * <p>Read off the model's tensors, so any registered cell is counted: each (H, H) recurrent weight
 * costs 2H² forward, 2H² for the gradient it sends back to H_{t−1} and 2H² for its own gradient;
 * each (D, H) input weight 2DH forward, 2DH for dX and 2DH for dW, except on one-hot tokens, where
 * the forward is a row gather and dX is not needed; the output layer 2HV for the logits, 2HV for dH
 * and 2HV for dW_hq. For the book's cells on one-hot input: RNN 6H² + 6HV, GRU 18H² + 6HV,
 * LSTM 24H² + 6HV, and each further LSTM layer (or an embedded first one) 24H² + 24DH more.
 */
public final class FlopCount {
    private FlopCount() {
    }

    /** FLOP per token of one training step of model (forward, loss gradient, backward). */
    public static double trainingPerToken(RnnModel model) {
        boolean tokenInput = model.config.input() == InputKind.ONEHOT;
        int recurrent = 0;
        for (Parameters.Tensor t : model.params.tensors()) if (t.role() == Parameters.Role.RECURRENT_WEIGHT) recurrent++;
        int gatesPerLayer = recurrent / model.config.layers(); // the first layer's input weights come first, this many
        double flops = 0;
        int inputWeightsSeen = 0;
        for (Parameters.Tensor t : model.params.tensors()) {
            double size = t.size();
            switch (t.role()) {
                case RECURRENT_WEIGHT, OUTPUT_WEIGHT -> flops += 6 * size;
                case INPUT_WEIGHT -> {
                    boolean gather = tokenInput && inputWeightsSeen < gatesPerLayer;
                    if (!gather) flops += 6 * size;
                    inputWeightsSeen++;
                }
                default -> {
                }
            }
        }
        return flops;
    }
}
