package charlm.data;

import java.util.Locale;

/**
 * How a text becomes characters. {@code LETTERS} is the book's cleaning; {@code CHARS} keeps
 * every Unicode code point (case, punctuation, newlines), for other books and other languages.
 */
public enum Tokenizer {
    /** Each line: runs of non-letters become one space, stripped, lower-cased; lines joined with nothing between. */
    LETTERS,
    /** Every code point of the text as it is. */
    CHARS;

    /** The token stream of a whole text, as code points. */
    public int[] codePoints(String text) {
        if (this == CHARS) return text.codePoints().toArray();
        StringBuilder out = new StringBuilder(text.length());
        for (String line : splitLines(text)) out.append(cleanLine(line));
        return out.codePoints().toArray();
    }

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
        return b.toString().strip().toLowerCase(Locale.ROOT);
    }

    /** Lines as Python's text mode reads them: "\n", "\r\n" and "\r" all end a line. */
    static java.util.List<String> splitLines(String text) {
        java.util.List<String> lines = new java.util.ArrayList<>();
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

    /**
     * A prefix typed by a user, brought to the tokenizer's alphabet: the book's cleaning lower-cases,
     * so "Time Traveller" means "time traveller". Non-letters are kept and map to {@code <unk>}.
     */
    public String normalizePrompt(String prefix) {
        return this == LETTERS ? prefix.toLowerCase(Locale.ROOT) : prefix;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
