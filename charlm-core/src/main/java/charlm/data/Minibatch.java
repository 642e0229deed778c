package charlm.data;

/**
 * One minibatch, filled in place by a sampler: inputs X and targets Y (Y is X shifted by one token),
 * both (B, T) row-major, as the book's iterators yield them.
 */
public final class Minibatch {
    public final int batchSize;
    public final int numSteps;
    public final int[] x; // (B, T)
    public final int[] y; // (B, T)

    public Minibatch(int batchSize, int numSteps) {
        this.batchSize = batchSize;
        this.numSteps = numSteps;
        this.x = new int[batchSize * numSteps];
        this.y = new int[batchSize * numSteps];
    }
}
