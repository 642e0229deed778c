package charlm.data;

/**
 * Random sampling: a random offset in [0, T−1], the non-overlapping subsequences of length T from
 * there in shuffled order, B of them per minibatch; no minibatch continues another.
 *
 * <p>What is shuffled is each subsequence's number s (its start is offset + s·T, a long): the same
 * permutation as shuffling the starts themselves, in an int per subsequence rather than a long.
 */
public final class RandomSampler extends Sampler {
    private final int[] order;
    private int offset, count;

    RandomSampler(TokenSequence corpus, int batchSize, int numSteps) {
        super(corpus, batchSize, numSteps);
        long subsequences = corpus.length() / numSteps + 1;
        if (subsequences > Corpus.MAX_TOKENS_HELD) {
            throw new charlm.CharlmException("random sampling of " + corpus.length() + " tokens at --num-steps " + numSteps
                    + " has more subsequences than one array holds; use a larger --num-steps or --sampling sequential");
        }
        this.order = new int[(int) subsequences];
    }

    @Override
    public int startEpoch(Rng rng) {
        offset = rng.nextInt(numSteps);
        count = (int) ((corpus.length() - offset - 1) / numSteps);
        for (int s = 0; s < count; s++) order[s] = s;
        rng.shuffle(order, count);
        return count / batchSize;
    }

    @Override
    public void fill(int k, Minibatch out) {
        for (int b = 0; b < batchSize; b++) {
            long src = offset + (long) order[k * batchSize + b] * numSteps;
            corpus.copy(src, out.x, b * numSteps, numSteps);
            corpus.copy(src + 1, out.y, b * numSteps, numSteps);
        }
    }
}
