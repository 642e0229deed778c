package charlm.train;

/**
 * One scoring of the held-out text during training (every --eval-every minibatches and at each epoch's
 * end): the step, the epochs done as a fraction, the tokens trained on so far, the mean training loss
 * since the previous scoring, the current rate, the held-out perplexity, whether it is the best so far,
 * how long the scoring took, and how many predictions of the held-out text it scored (--eval-tokens; 0
 * when not known, as in a steps.csv written before it was recorded).
 */
public record Evaluation(long step, double epochs, long tokens, double trainLoss, double lr, double valPerplexity, boolean best,
                         double seconds, long scored) {
    /** A scoring whose size was not recorded. */
    public Evaluation(long step, double epochs, long tokens, double trainLoss, double lr, double valPerplexity, boolean best, double seconds) {
        this(step, epochs, tokens, trainLoss, lr, valPerplexity, best, seconds, 0);
    }
}
