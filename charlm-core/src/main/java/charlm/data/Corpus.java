package charlm.data;

import charlm.CharlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A text as token indices with its vocabulary, as the book's load_corpus_time_machine makes it:
 * the vocabulary comes from the whole text, then the stream is cut to the first maxTokens.
 *
 * <p>Files are read as a stream of strict UTF-8 (a leading byte-order mark is skipped; an invalid
 * byte is refused with its offset in the file), twice when a vocabulary is built: once to count,
 * once to keep the first maxTokens tokens. Only the kept tokens are ever held, so a file of any
 * size can be used with --max-tokens; keeping all of a huge one is refused up front when its
 * tokens would not fit, rather than failing with an OutOfMemoryError.
 */
public record Corpus(int[] tokens, Vocab vocab) {

    /** The book's default: the first 10,000 tokens. */
    public static final int BOOK_MAX_TOKENS = 10_000;
    /** Above this many tokens eval counts a text before it allocates for it. */
    private static final long COUNT_FIRST_ABOVE = 1 << 24;
    /** The longest int[] a JVM allocates. */
    public static final long MAX_TOKENS_HELD = Integer.MAX_VALUE - 8;

    public int size() {
        return tokens.length;
    }

    /** Reads a file, builds its vocabulary and keeps the first maxTokens tokens (0 = all). */
    public static Corpus load(Path file, Tokenizer tokenizer, int maxTokens) {
        return load(file, tokenizer, maxTokens, 0, line -> { });
    }

    /**
     * As {@link #load(Path, Tokenizer, int)}, with the vocabulary cut to maxVocab tokens (0 = all; see
     * {@link Vocab.Limited}); what the cut touched is said to say, when it touched anything.
     */
    public static Corpus load(Path file, Tokenizer tokenizer, int maxTokens, int maxVocab, java.util.function.Consumer<String> say) {
        checkMaxTokens(maxTokens);
        Vocab.Counter counter = count(file, tokenizer);
        Vocab.Limited limited = counter.limited(maxVocab);
        if (limited.droppedCharacters() > 0) say.accept(limited.summary(maxVocab));
        Vocab vocab = limited.vocab();
        long n = maxTokens > 0 ? Math.min(maxTokens, counter.total()) : counter.total();
        TokenArray kept = new TokenArray(file, n, vocab);
        stream(file, tokenizer, kept, kept::full);
        return new Corpus(kept.tokens, vocab);
    }

    public static Corpus fromText(String text, Tokenizer tokenizer, int maxTokens, String what) {
        checkMaxTokens(maxTokens);
        int[] codePoints = tokenizer.codePoints(text);
        if (codePoints.length == 0) throw noText(what, tokenizer);
        Vocab vocab = Vocab.build(codePoints);
        int[] tokens = vocab.encode(codePoints);
        return new Corpus(maxTokens > 0 && tokens.length > maxTokens ? Arrays.copyOf(tokens, maxTokens) : tokens, vocab);
    }

    /** Counts a text's tokens, for its vocabulary; a text with none is refused. */
    static Vocab.Counter count(Path file, Tokenizer tokenizer) {
        Vocab.Counter counter = new Vocab.Counter();
        stream(file, tokenizer, counter, () -> false);
        if (counter.total() == 0) throw noText(file.toString(), tokenizer);
        return counter;
    }

    static CharlmException noText(String what, Tokenizer tokenizer) {
        return new CharlmException(what + " has no " + (tokenizer == Tokenizer.LETTERS ? "letters" : "characters")
                + (tokenizer == Tokenizer.LETTERS ? " (the book's tokenizer keeps only a-z); use --tokenizer chars or another file" : "; use another file"));
    }

    /** A text in a vocabulary made elsewhere (a checkpoint's): unknown characters become {@code <unk>}. */
    public static int[] encode(Path file, Tokenizer tokenizer, Vocab vocab, int maxTokens) {
        return encodeCounting(file, tokenizer, vocab, maxTokens).tokens();
    }

    /**
     * The first maxTokens tokens (0 = all) of a text in a vocabulary made elsewhere, with the
     * characters that vocabulary does not know (they are encoded as {@code <unk>}).
     */
    public static Encoded encodeCounting(Path file, Tokenizer tokenizer, Vocab vocab, int maxTokens) {
        checkMaxTokens(maxTokens);
        // A token takes at least one byte, so a short file bounds the array; for a long one, or
        // for all of it, the tokens are counted first so that only what they need is allocated.
        long n = maxTokens > 0 ? Math.min(maxTokens, size(file)) : Long.MAX_VALUE;
        if (n > COUNT_FIRST_ABOVE) {
            long[] count = {0};
            stream(file, tokenizer, cp -> count[0]++, () -> false);
            n = Math.min(n, count[0]);
        }
        TokenArray kept = new TokenArray(file, n, vocab);
        stream(file, tokenizer, kept, kept::full);
        if (kept.size == 0) throw new CharlmException(file + " has no text to evaluate; use another file");
        int[] tokens = kept.size == kept.tokens.length ? kept.tokens : Arrays.copyOf(kept.tokens, kept.size);
        return new Encoded(tokens, kept.unknown, kept.unknownCharacters);
    }

    /**
     * Tokens of a text in a vocabulary made elsewhere, and the characters it did not know.
     *
     * @param unknown           how many of the tokens are {@code <unk>}
     * @param unknownCharacters each unknown character (code point) and how often it came, in order of first appearance
     */
    public record Encoded(int[] tokens, long unknown, Map<Integer, Long> unknownCharacters) {
        /** The most frequent unknown characters, quoted and escaped, for one line: "',' 40, 'Q' 3". */
        public String unknownSummary(int max) {
            List<Map.Entry<Integer, Long>> byCount = new ArrayList<>(unknownCharacters.entrySet());
            byCount.sort((a, b) -> Long.compare(b.getValue(), a.getValue())); // stable: ties keep first appearance
            StringBuilder b = new StringBuilder();
            for (int k = 0; k < byCount.size() && k < max; k++) {
                if (k > 0) b.append(", ");
                b.append(Vocab.shown(new String(Character.toChars(byCount.get(k).getKey())))).append(' ').append(byCount.get(k).getValue());
            }
            if (byCount.size() > max) b.append(String.format(Locale.ROOT, " and %d other%s", byCount.size() - max, byCount.size() - max == 1 ? "" : "s"));
            return b.toString();
        }
    }

    private static void checkMaxTokens(int maxTokens) {
        if (maxTokens < 0) throw new CharlmException("--max-tokens must be 0 (all) or positive, got " + maxTokens);
    }

    /** Where the kept tokens go: an int[] of at most n, allocated only when it fits. */
    private static final class TokenArray implements IntConsumer {
        final int[] tokens;
        final Vocab vocab;
        int size;
        long unknown;
        final Map<Integer, Long> unknownCharacters = new LinkedHashMap<>();

        TokenArray(Path file, long n, Vocab vocab) {
            this.vocab = vocab;
            this.tokens = allocate(file, n);
        }

        @Override
        public void accept(int cp) {
            if (size == tokens.length) return; // the rest of the piece being cleaned
            int t = vocab.index(cp);
            if (t == 0) {
                unknown++;
                unknownCharacters.merge(cp, 1L, Long::sum);
            }
            tokens[size++] = t;
        }

        boolean full() {
            return size == tokens.length;
        }
    }

    /** An int[] for n tokens, or one line saying why it cannot be had and what to do instead. */
    static int[] allocate(Path file, long n) {
        String fix = "; give --max-tokens N to keep only the first N tokens (the book keeps 10000)";
        if (n > MAX_TOKENS_HELD) {
            throw new CharlmException("data file " + file + " has " + n + " tokens, more than the " + MAX_TOKENS_HELD + " one array can hold" + fix);
        }
        long max = Runtime.getRuntime().maxMemory();
        CharlmException tooBig = new CharlmException(String.format(Locale.ROOT,
                "keeping %d tokens of data file %s takes %d MB, more than Java can find of the %d MB it may use%s, or more memory (JAVA_OPTS=-Xmx...)",
                n, file, Math.max(1, 4 * n >> 20), max >> 20, fix));
        if (4 * n > max) throw tooBig;
        try {
            return new int[(int) n];
        } catch (OutOfMemoryError e) { // one big array, refused after a full collection: nothing else was half made
            throw tooBig;
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return Long.MAX_VALUE; // stream() says what is wrong with the file
        }
    }

    /** The whole file as strict UTF-8 without a leading byte-order mark, or one clear error. */
    public static String readText(Path file) {
        StringBuilder b = new StringBuilder();
        stream(file, null, b::appendCodePoint, () -> false);
        return b.toString();
    }

    /**
     * Decodes a file piece by piece as strict UTF-8 and hands its tokens (after the tokenizer's
     * cleaning; code points as they are when tokenizer is null) to out, until done says so.
     */
    static void stream(Path file, Tokenizer tokenizer, IntConsumer out, java.util.function.BooleanSupplier done) {
        if (Files.isDirectory(file)) throw new CharlmException("data file " + file + " is a directory; give a text file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() == 0) throw new CharlmException("data file " + file + " is empty; give a text file with some text in it");
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            CharBuffer chars = CharBuffer.allocate(1 << 16);
            Tokenizer.Cleaner cleaner = tokenizer == null ? null : tokenizer.cleaner();
            long base = 0; // the file offset of in's first byte
            boolean eof = false, first = true;
            while (!done.getAsBoolean()) {
                if (!eof) eof = ch.read(in) < 0;
                in.flip();
                for (int k = 0; k < in.limit(); k++) {
                    if (in.get(k) == 0) throw binary(file, base + k);
                }
                CoderResult r = utf8.decode(in, chars, eof);
                if (eof && r.isUnderflow()) r = utf8.flush(chars);
                if (r.isError()) throw notUtf8(file, base + in.position(), in.get(in.position()));
                base += in.position();
                in.compact();
                chars.flip();
                if (first && chars.hasRemaining()) {
                    first = false;
                    if (chars.get(0) == '\uFEFF') chars.get(); // the byte-order mark is not text
                }
                // CharBuffer's charAt counts from its position
                if (cleaner != null) {
                    cleaner.feed(chars, 0, chars.remaining(), out);
                } else {
                    for (int k = 0; k < chars.remaining(); k++) out.accept(chars.charAt(k)); // appendCodePoint rebuilds a pair
                }
                chars.clear();
                if (eof && r.isUnderflow() && in.position() == 0) {
                    if (cleaner != null) cleaner.finish(out);
                    return;
                }
            }
        } catch (NoSuchFileException e) {
            throw new CharlmException("data file " + file + " does not exist; check the path given to --data");
        } catch (IOException e) {
            throw new CharlmException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
    }

    private static CharlmException binary(Path file, long offset) {
        return new CharlmException(String.format(Locale.ROOT,
                "data file %s looks binary, not text (a NUL byte at offset %d); give a text file", file, offset));
    }

    private static CharlmException notUtf8(Path file, long offset, byte b) {
        return new CharlmException(String.format(Locale.ROOT,
                "data file %s is not UTF-8 text (byte 0x%02X at offset %d does not belong there); convert it first, e.g. iconv -f latin1 -t utf-8",
                file, b & 0xff, offset));
    }
}
