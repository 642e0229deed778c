package charlm.train;

import charlm.CharlmException;

/**
 * The settings of a training run, checked once. The book's are the defaults:
 * batch 32, 35 steps, lr 1, clipping at θ = 1, sequential partitioning, 500 epochs.
 *
 * @param clip    global-norm threshold θ; {@link Double#POSITIVE_INFINITY} means no clipping
 * @param detach  false: gradients flow back across minibatch boundaries through the whole epoch
 */
public record TrainConfig(int batchSize, int numSteps, int epochs, double lr, double clip,
                          Sampling sampling, boolean detach, long seed) {

    public static final int BOOK_BATCH = 32, BOOK_STEPS = 35, BOOK_EPOCHS = 500;

    public TrainConfig {
        if (batchSize <= 0) throw new CharlmException("--batch-size must be a positive whole number, got " + batchSize);
        if (numSteps <= 0) throw new CharlmException("--num-steps must be a positive whole number, got " + numSteps);
        if (epochs <= 0) throw new CharlmException("--epochs must be a positive whole number, got " + epochs);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new CharlmException("--lr must be a positive number, got " + lr);
        if (!(clip > 0)) throw new CharlmException("--clip must be a positive number or 'none', got " + clip);
        if (!detach && sampling != Sampling.SEQUENTIAL) {
            throw new CharlmException("--no-detach needs --sampling sequential: only then does one minibatch continue the last");
        }
    }

    public static TrainConfig book() {
        return new TrainConfig(BOOK_BATCH, BOOK_STEPS, BOOK_EPOCHS, 1.0, 1.0, Sampling.SEQUENTIAL, true, 0);
    }

    public TrainConfig withEpochs(int n) {
        return new TrainConfig(batchSize, numSteps, n, lr, clip, sampling, detach, seed);
    }
}
