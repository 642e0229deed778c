package charlm.data;

import charlm.CharlmException;

/**
 * The book's two ways to cut a corpus into (B, T) minibatches, drawn afresh each epoch from the
 * run's generator. Sequential: a random offset in [0, T], B parallel streams, and row i of batch k+1
 * continues row i of batch k. Random: a random offset in [0, T-1], non-overlapping subsequences of
 * length T in shuffled order.
 */
public abstract sealed class Sampler permits Sampler.Sequential, Sampler.Random {
    protected final int[] corpus;
    protected final int batchSize;
    protected final int numSteps;

    Sampler(int[] corpus, int batchSize, int numSteps) {
        if (batchSize <= 0 || numSteps <= 0) throw new CharlmException("batch size and steps must be positive");
        // The worst offset (T) must still leave one whole minibatch plus the shifted target.
        long need = (long) batchSize * numSteps + numSteps + 1;
        if (corpus.length < need) {
            throw new CharlmException("the corpus has " + corpus.length + " tokens, too short for one minibatch of batch size "
                    + batchSize + " x " + numSteps + " steps (needs at least " + need
                    + "); use more text (--max-tokens 0 for all of it) or a smaller --batch-size / --num-steps");
        }
        this.corpus = corpus;
        this.batchSize = batchSize;
        this.numSteps = numSteps;
    }

    public static Sampler sequential(int[] corpus, int batchSize, int numSteps) {
        return new Sequential(corpus, batchSize, numSteps);
    }

    public static Sampler random(int[] corpus, int batchSize, int numSteps) {
        return new Random(corpus, batchSize, numSteps);
    }

    /** Draws this epoch's offset (and order) from rng; returns the number of minibatches in the epoch. */
    public abstract int startEpoch(Rng rng);

    /** Fills minibatch k (0-based) of the current epoch. */
    public abstract void fill(int k, Minibatch out);

    /** Whether row i of batch k+1 continues row i of batch k, so the state may be carried. */
    public abstract boolean continuesAcrossBatches();

    public static final class Sequential extends Sampler {
        private int offset;
        private int streamLength; // L: tokens per stream

        Sequential(int[] corpus, int batchSize, int numSteps) {
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

        @Override
        public boolean continuesAcrossBatches() {
            return true;
        }
    }

    public static final class Random extends Sampler {
        private final int[] starts;
        private int count;

        Random(int[] corpus, int batchSize, int numSteps) {
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

        @Override
        public boolean continuesAcrossBatches() {
            return false;
        }
    }
}
