package charlm.train;

/**
 * One scoring of the held-out text during training (every --eval-every minibatches and at each epoch's
 * end): the step, the epochs done as a fraction, the tokens trained on so far, the mean training loss
 * since the previous scoring, the current rate, the held-out perplexity, whether it is the best so far,
 * and how long the scoring took.
 */
public record Evaluation(long step, double epochs, long tokens, double trainLoss, double lr, double valPerplexity, boolean best,
                         double seconds) {
}
