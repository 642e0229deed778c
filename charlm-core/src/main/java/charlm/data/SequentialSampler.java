package charlm.data;

/**
 * Sequential partitioning: a random offset in [0, T], B parallel streams of L tokens each, and row i
 * of minibatch k+1 continues row i of minibatch k, so the state can be carried across minibatches.
 */
public final class SequentialSampler extends Sampler {
    private int offset;
    private long streamLength; // L: tokens per stream (a text longer than 2^31 has streams that may be too)

    SequentialSampler(TokenSequence corpus, int batchSize, int numSteps) {
        super(corpus, batchSize, numSteps);
    }

    @Override
    public int startEpoch(Rng rng) {
        offset = rng.nextInt(numSteps + 1);
        streamLength = (corpus.length() - offset - 1) / batchSize;
        long batches = streamLength / numSteps;
        if (batches > Integer.MAX_VALUE) {
            throw new charlm.CharlmException("an epoch of " + batches + " minibatches is more than can be counted; use a larger --batch-size or --num-steps, or less text");
        }
        return (int) batches;
    }

    @Override
    public void fill(int k, Minibatch out) {
        for (int b = 0; b < batchSize; b++) {
            long src = offset + b * streamLength + (long) k * numSteps;
            corpus.copy(src, out.x, b * numSteps, numSteps);
            corpus.copy(src + 1, out.y, b * numSteps, numSteps);
        }
    }
}
