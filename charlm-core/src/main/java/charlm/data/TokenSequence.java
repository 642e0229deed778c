package charlm.data;

import charlm.CharlmException;

/**
 * A text's token ids, indexed by long: an int[] for short texts, a memory-mapped token cache for long
 * ones ({@link TokenCache}). Samplers, the held-out split and scoring read through this, so a text
 * longer than an int[] can hold, or than the heap, trains the same way as the book. A slice is a view
 * (nothing is copied); only {@link #toArray} copies, and only what one array can hold.
 */
public interface TokenSequence {

    /** Tokens in the sequence. */
    long length();

    /** Token i, 0 <= i < length(). */
    int get(long i);

    /** Copies tokens [from, from + n) into dst[at, at + n). */
    default void copy(long from, int[] dst, int at, int n) {
        for (int k = 0; k < n; k++) dst[at + k] = get(from + k);
    }

    /** Tokens [from, to) as a view of this sequence. */
    TokenSequence slice(long from, long to);

    /** The first n tokens (all when n is 0 or more than there are), as a view. */
    default TokenSequence first(long n) {
        return n > 0 && n < length() ? slice(0, n) : this;
    }

    /**
     * Where these tokens lie in a token cache file, for a process that maps them itself instead of being sent
     * a copy (an executor of {@code train --spark}); empty for tokens held in memory.
     */
    default java.util.Optional<TokenCache.Region> region() {
        return java.util.Optional.empty();
    }

    /** A copy in one int[], for what needs one (a model's probe, a short text); refused when it cannot be one array. */
    default int[] toArray() {
        if (length() > Corpus.MAX_TOKENS_HELD) {
            throw new CharlmException(length() + " tokens do not fit in one array; use fewer (--max-tokens)");
        }
        int[] a = new int[(int) length()];
        copy(0, a, 0, a.length);
        return a;
    }

    /** An array as a sequence (not copied). */
    static TokenSequence of(int[] tokens) {
        return new ArrayTokens(tokens, 0, tokens.length);
    }

    /** Checks a slice's bounds against a length, as {@link java.util.Objects#checkFromToIndex} does for ints. */
    static void checkSlice(long from, long to, long length) {
        if (from < 0 || to < from || to > length) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of a sequence of " + length);
        }
    }

    /** An int[] (a part of one) as a sequence. */
    record ArrayTokens(int[] tokens, int from, int to) implements TokenSequence {
        @Override
        public long length() {
            return to - from;
        }

        @Override
        public int get(long i) {
            java.util.Objects.checkIndex(i, length());
            return tokens[from + (int) i];
        }

        @Override
        public void copy(long start, int[] dst, int at, int n) {
            java.util.Objects.checkFromIndexSize(start, n, length());
            System.arraycopy(tokens, from + (int) start, dst, at, n);
        }

        @Override
        public TokenSequence slice(long start, long end) {
            TokenSequence.checkSlice(start, end, length());
            return new ArrayTokens(tokens, from + (int) start, from + (int) end);
        }
    }
}
