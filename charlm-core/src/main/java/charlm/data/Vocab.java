package charlm.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token indices, as the book builds them: {@code <unk>} at 0, then tokens by falling frequency,
 * ties in order of first appearance. Tokens here are single code points; unknown ones map to 0.
 */
public final class Vocab {
    public static final String UNK = "<unk>";

    private final List<String> idxToToken;
    private final Map<Integer, Integer> codePointToIdx = new HashMap<>();

    private Vocab(List<String> tokens) {
        this.idxToToken = Collections.unmodifiableList(new ArrayList<>(tokens));
        for (int i = 1; i < tokens.size(); i++) {
            int cp = tokens.get(i).codePointAt(0);
            if (codePointToIdx.putIfAbsent(cp, i) != null) {
                throw new IllegalArgumentException("vocabulary token " + shown(tokens.get(i)) + " appears twice, at " + codePointToIdx.get(cp) + " and " + i);
            }
        }
    }

    /** Builds the vocabulary of a token stream (code points). */
    public static Vocab build(int[] codePoints) {
        Counter c = new Counter();
        for (int cp : codePoints) c.accept(cp);
        return c.vocab();
    }

    /**
     * Counts a token stream fed one code point at a time, for texts too long to hold; its
     * {@link #vocab()} is what {@link #build(int[])} gives for the same stream.
     */
    public static final class Counter implements java.util.function.IntConsumer {
        private final long[] bmpCount = new long[Character.MIN_SUPPLEMENTARY_CODE_POINT];
        private final long[] bmpFirst = new long[Character.MIN_SUPPLEMENTARY_CODE_POINT];
        private final Map<Integer, long[]> others = new HashMap<>(); // code point -> {count, first position}
        private long total;

        @Override
        public void accept(int cp) {
            if (cp >= 0 && cp < bmpCount.length) {
                if (bmpCount[cp]++ == 0) bmpFirst[cp] = total;
            } else {
                long[] c = others.computeIfAbsent(cp, k -> new long[] {0, 0});
                if (c[0]++ == 0) c[1] = total;
            }
            total++;
        }

        /** Tokens counted so far. */
        public long total() {
            return total;
        }

        /** The book's order: {@code <unk>}, then by falling count, ties by first appearance. */
        public Vocab vocab() {
            return limited(0).vocab();
        }

        /**
         * The book's vocabulary cut to its first maxVocab tokens ({@code <unk>} included; 0 = all): the
         * rarest characters become {@code <unk>}, and how much of the counted text they are is said.
         */
        public Limited limited(int maxVocab) {
            List<long[]> ranked = new ArrayList<>(); // {code point, count, first}
            for (int cp = 0; cp < bmpCount.length; cp++) if (bmpCount[cp] > 0) ranked.add(new long[] {cp, bmpCount[cp], bmpFirst[cp]});
            for (Map.Entry<Integer, long[]> e : others.entrySet()) ranked.add(new long[] {e.getKey(), e.getValue()[0], e.getValue()[1]});
            ranked.sort((a, b) -> a[1] != b[1] ? Long.compare(b[1], a[1]) : Long.compare(a[2], b[2]));
            int kept = maxVocab > 0 ? Math.min(ranked.size(), maxVocab - 1) : ranked.size();
            List<String> tokens = new ArrayList<>();
            tokens.add(UNK);
            for (long[] r : ranked.subList(0, kept)) tokens.add(new String(Character.toChars((int) r[0])));
            long unknown = 0;
            for (long[] r : ranked.subList(kept, ranked.size())) unknown += r[1];
            return new Limited(new Vocab(tokens), ranked.size() - kept, unknown, total);
        }
    }

    /**
     * A vocabulary cut by --max-vocab, and what the cut touched.
     *
     * @param droppedCharacters distinct characters that became {@code <unk>}
     * @param unknownTokens     how many tokens of the text they are
     * @param totalTokens       tokens in the text
     */
    public record Limited(Vocab vocab, int droppedCharacters, long unknownTokens, long totalTokens) {
        /** One line for the run's output: nothing when nothing was cut. */
        public String summary(int maxVocab) {
            if (droppedCharacters == 0) return "";
            return String.format(java.util.Locale.ROOT, "--max-vocab %d: the %d rarest characters become <unk>, %d of %d tokens (%.3g%% of the text)",
                    maxVocab, droppedCharacters, unknownTokens, totalTokens, 100.0 * unknownTokens / Math.max(1, totalTokens));
        }
    }

    /**
     * A vocabulary read back from a checkpoint, in index order: {@code <unk>} first, then distinct
     * single characters. Anything else is refused, since the indices would not mean what the
     * model's rows mean.
     */
    public static Vocab of(List<String> tokens) {
        if (tokens.isEmpty()) throw new IllegalArgumentException("empty vocabulary");
        if (!UNK.equals(tokens.get(0))) throw new IllegalArgumentException("vocabulary starts with " + shown(tokens.get(0)) + ", not " + UNK);
        for (int i = 1; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null || t.isEmpty() || t.codePointCount(0, t.length()) != 1) {
                throw new IllegalArgumentException("vocabulary token " + i + " is " + shown(t) + ", not one character");
            }
        }
        return new Vocab(tokens);
    }

    /** A token, or a short text, as it may appear in a one-line message: quoted, escaped, at most 20 characters. */
    public static String shown(String t) {
        if (t == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (int k = 0; k < t.length() && k < 20; k++) {
            char c = t.charAt(k);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(t.length() > 20 ? "...\"" : "\"").toString();
    }

    public int size() {
        return idxToToken.size();
    }

    public String token(int index) {
        return idxToToken.get(index);
    }

    public List<String> tokens() {
        return idxToToken;
    }

    /** The index of a code point, 0 ({@code <unk>}) when it is not in the vocabulary. */
    public int index(int codePoint) {
        return codePointToIdx.getOrDefault(codePoint, 0);
    }

    public int[] encode(int[] codePoints) {
        int[] out = new int[codePoints.length];
        for (int i = 0; i < out.length; i++) out[i] = index(codePoints[i]);
        return out;
    }

    public String decode(int[] indices, int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) b.append(idxToToken.get(indices[i]));
        return b.toString();
    }
}
