package charlm.train;

/**
 * What one epoch reports: training perplexity (exp of the mean loss over the epoch's tokens),
 * tokens per second as the chapter counts them (tokens trained on / wall time of the epoch), and the
 * held-out perplexity when a validation split exists (NaN otherwise).
 */
public record EpochStats(int epoch, double perplexity, double tokensPerSec, double valPerplexity, double seconds) {
    public boolean hasValidation() {
        return !Double.isNaN(valPerplexity);
    }
}
