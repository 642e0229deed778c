package charlm.data;

/**
 * Sequential partitioning: a random offset in [0, T], B parallel streams of L tokens each, and row i
 * of minibatch k+1 continues row i of minibatch k, so the state can be carried across minibatches.
 */
public final class SequentialSampler extends Sampler {
    private int offset;
    private int streamLength; // L: tokens per stream

    SequentialSampler(int[] corpus, int batchSize, int numSteps) {
        super(corpus, batchSize, numSteps);
    }

    @Override
    public int startEpoch(Rng rng) {
        offset = rng.nextInt(numSteps + 1);
        streamLength = (corpus.length - offset - 1) / batchSize;
        return streamLength / numSteps;
    }

    @Override
    public void fill(int k, Minibatch out) {
        for (int b = 0; b < batchSize; b++) {
            int src = offset + b * streamLength + k * numSteps;
            System.arraycopy(corpus, src, out.x, b * numSteps, numSteps);
            System.arraycopy(corpus, src + 1, out.y, b * numSteps, numSteps);
        }
    }
}
