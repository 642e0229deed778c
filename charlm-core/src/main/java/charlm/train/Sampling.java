package charlm.train;

import java.util.Locale;

/**
 * How minibatches are drawn and whether the state is carried between them.
 * SEQUENTIAL: sequential partitioning, state carried across minibatches and detached at each.
 * RANDOM: random sampling, a fresh state per minibatch.
 * BOOK_RANDOM: what the book's "random" run actually does: a fresh state per minibatch, but the
 * iterator stays sequential (its load function was built without use_random_iter).
 */
public enum Sampling {
    SEQUENTIAL, RANDOM, BOOK_RANDOM;

    public boolean freshStatePerBatch() {
        return this != SEQUENTIAL;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
