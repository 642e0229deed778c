package charlm.data;

import charlm.CharlmException;

/**
 * The book's two ways to cut a corpus into (B, T) minibatches (its seq_data_iter_sequential and
 * seq_data_iter_random), drawn afresh each epoch from the
 * run's generator. Sequential: a random offset in [0, T], B parallel streams, and row i of batch k+1
 * continues row i of batch k. Random: a random offset in [0, T-1], non-overlapping subsequences of
 * length T in shuffled order. Positions are longs: the corpus may be a mapped text of any length,
 * read through {@link TokenSequence} without being copied.
 */
public abstract sealed class Sampler permits SequentialSampler, RandomSampler {
    protected final TokenSequence corpus;
    protected final int batchSize;
    protected final int numSteps;

    Sampler(TokenSequence corpus, int batchSize, int numSteps) {
        if (batchSize <= 0 || numSteps <= 0) throw new CharlmException("batch size and steps must be positive");
        // The worst offset (T) must still leave one whole minibatch plus the shifted target.
        long need = (long) batchSize * numSteps + numSteps + 1;
        if (corpus.length() < need) {
            throw new CharlmException("the corpus has " + corpus.length() + " tokens, too short for one minibatch of batch size "
                    + batchSize + " x " + numSteps + " steps (needs at least " + need
                    + "); use more text (--max-tokens 0 for all of it) or a smaller --batch-size / --num-steps");
        }
        this.corpus = corpus;
        this.batchSize = batchSize;
        this.numSteps = numSteps;
    }

    public static Sampler sequential(int[] corpus, int batchSize, int numSteps) {
        return sequential(TokenSequence.of(corpus), batchSize, numSteps);
    }

    public static Sampler random(int[] corpus, int batchSize, int numSteps) {
        return random(TokenSequence.of(corpus), batchSize, numSteps);
    }

    public static Sampler sequential(TokenSequence corpus, int batchSize, int numSteps) {
        return new SequentialSampler(corpus, batchSize, numSteps);
    }

    public static Sampler random(TokenSequence corpus, int batchSize, int numSteps) {
        return new RandomSampler(corpus, batchSize, numSteps);
    }

    /** Draws this epoch's offset (and order) from rng; returns the number of minibatches in the epoch. */
    public abstract int startEpoch(Rng rng);

    /** Fills minibatch k (0-based) of the current epoch. */
    public abstract void fill(int k, Minibatch out);
}
