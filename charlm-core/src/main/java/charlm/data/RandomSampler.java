package charlm.data;

/**
 * Random sampling: a random offset in [0, T−1], the non-overlapping subsequences of length T from
 * there in shuffled order, B of them per minibatch; no minibatch continues another.
 */
public final class RandomSampler extends Sampler {
    private final int[] starts;
    private int count;

    RandomSampler(int[] corpus, int batchSize, int numSteps) {
        super(corpus, batchSize, numSteps);
        this.starts = new int[corpus.length / numSteps + 1];
    }

    @Override
    public int startEpoch(Rng rng) {
        int offset = rng.nextInt(numSteps);
        count = (corpus.length - offset - 1) / numSteps;
        for (int s = 0; s < count; s++) starts[s] = offset + s * numSteps;
        rng.shuffle(starts, count);
        return count / batchSize;
    }

    @Override
    public void fill(int k, Minibatch out) {
        for (int b = 0; b < batchSize; b++) {
            int src = starts[k * batchSize + b];
            System.arraycopy(corpus, src, out.x, b * numSteps, numSteps);
            System.arraycopy(corpus, src + 1, out.y, b * numSteps, numSteps);
        }
    }
}
