package charlm.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How a text becomes characters. {@code LETTERS} is the book's cleaning; {@code CHARS} keeps
 * every Unicode code point (case, punctuation, newlines), for other books and other languages.
 * Both read line ends as Python's text mode does: "\r\n" and a lone "\r" are "\n", so a file
 * saved on Windows gives the same tokens and the same vocabulary as the same text saved on Linux.
 *
 * <p>The cleaning runs as a stream ({@link #cleaner()}), so a file of any size is tokenized in
 * pieces without being held whole; {@link #codePoints(String)} is the same cleaning on a string.
 */
public enum Tokenizer {
    /** Each line: runs of non-letters become one space, stripped, lower-cased; lines joined with nothing between. */
    LETTERS,
    /** Every code point of the text as it is, except that "\r\n" and "\r" become "\n". */
    CHARS;

    /** The token stream of a whole text, as code points. */
    public int[] codePoints(String text) {
        IntBuffer out = new IntBuffer();
        Cleaner c = cleaner();
        c.feed(text, 0, text.length(), out);
        c.finish(out);
        return out.toArray();
    }

    /**
     * A prefix typed by a user, as the model reads it: the same cleaning as its training text, so
     * for a letters model "Time, Traveller!" is "time traveller".
     */
    public String normalizePrompt(String prefix) {
        int[] cps = codePoints(prefix);
        return new String(cps, 0, cps.length);
    }

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A fresh cleaner, for one text fed in any number of pieces. */
    public Cleaner cleaner() {
        return this == LETTERS ? new LettersCleaner() : new CharsCleaner();
    }

    /** The tokenizer's cleaning over a text given piece by piece; it keeps what a piece boundary cuts. */
    public abstract static class Cleaner {
        /** Cleans text[from, to) and hands each token (a code point) to out. */
        public abstract void feed(CharSequence text, int from, int to, IntConsumer out);

        /** The end of the text: hands out anything still held back. */
        public abstract void finish(IntConsumer out);
    }

    /**
     * The book's [^A-Za-z]+ → ' ', strip, lower, line by line, as a state machine: a run of
     * non-letters becomes a space only once a letter follows on the same line.
     */
    private static final class LettersCleaner extends Cleaner {
        private boolean letterInLine, gap;

        @Override
        public void feed(CharSequence text, int from, int to, IntConsumer out) {
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (c == '\n' || c == '\r') {
                    letterInLine = false;
                    gap = false;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                    if (gap) out.accept(' ');
                    out.accept(c | 0x20); // ASCII lower case
                    letterInLine = true;
                    gap = false;
                } else if (letterInLine) {
                    gap = true;
                }
            }
        }

        @Override
        public void finish(IntConsumer out) {
            letterInLine = false;
            gap = false; // a trailing gap is stripped
        }
    }

    /** Code points, with "\r\n" and a lone "\r" read as "\n"; a surrogate pair may straddle two pieces. */
    private static final class CharsCleaner extends Cleaner {
        private boolean afterCr;
        private char high; // a high surrogate waiting for its pair, or 0

        @Override
        public void feed(CharSequence text, int from, int to, IntConsumer out) {
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (high != 0) {
                    char h = high;
                    high = 0;
                    if (Character.isLowSurrogate(c)) {
                        out.accept(Character.toCodePoint(h, c));
                        continue;
                    }
                    out.accept(h); // unpaired: kept as it is, as String.codePoints() does
                }
                if (afterCr) {
                    afterCr = false;
                    if (c == '\n') continue; // the "\n" of "\r\n" was given for the "\r"
                }
                if (c == '\r') {
                    out.accept('\n');
                    afterCr = true;
                } else if (Character.isHighSurrogate(c)) {
                    high = c;
                } else {
                    out.accept(c);
                }
            }
        }

        @Override
        public void finish(IntConsumer out) {
            if (high != 0) out.accept(high);
            high = 0;
            afterCr = false;
        }
    }

    /** A growing int[] for short texts (prefixes, strings in tests). */
    private static final class IntBuffer implements IntConsumer {
        private int[] a = new int[16];
        private int n;

        @Override
        public void accept(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    // ------------------------------------------------------------------ the book's definition

    /** The book's line cleaning: [^A-Za-z]+ becomes ' ', then strip and lower-case (ASCII letters only, as the book's regex). */
    static String cleanLine(String line) {
        StringBuilder b = new StringBuilder(line.length());
        boolean inGap = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (letter) {
                b.append(c);
                inGap = false;
            } else if (!inGap) {
                b.append(' ');
                inGap = true;
            }
        }
        return b.toString().strip().toLowerCase(java.util.Locale.ROOT);
    }

    /** Lines as Python's text mode reads them: "\n", "\r\n" and "\r" all end a line. */
    static List<String> splitLines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                lines.add(text.substring(start, i));
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
                start = i + 1;
            }
        }
        if (start < text.length()) lines.add(text.substring(start));
        return lines;
    }
}
