package charlm.data;

import charlm.CharlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A text as token indices with its vocabulary, as the book's load_corpus_time_machine makes it:
 * the vocabulary comes from the whole text, then the stream is cut to the first maxTokens.
 */
public record Corpus(int[] tokens, Vocab vocab) {

    /** The book's default: the first 10,000 tokens. */
    public static final int BOOK_MAX_TOKENS = 10_000;

    public int size() {
        return tokens.length;
    }

    /** Reads a file, builds its vocabulary and keeps the first maxTokens tokens (0 = all). */
    public static Corpus load(Path file, Tokenizer tokenizer, int maxTokens) {
        return fromText(readText(file), tokenizer, maxTokens, file.toString());
    }

    public static Corpus fromText(String text, Tokenizer tokenizer, int maxTokens, String what) {
        int[] codePoints = tokenizer.codePoints(text);
        if (codePoints.length == 0) {
            throw new CharlmException(what + " has no " + (tokenizer == Tokenizer.LETTERS ? "letters" : "characters")
                    + (tokenizer == Tokenizer.LETTERS ? " (the book's tokenizer keeps only a-z); use --tokenizer chars or another file" : "; use another file"));
        }
        Vocab vocab = Vocab.build(codePoints);
        return new Corpus(cut(vocab.encode(codePoints), maxTokens), vocab);
    }

    /** A text in a vocabulary made elsewhere (a checkpoint's): unknown characters become {@code <unk>}. */
    public static int[] encode(Path file, Tokenizer tokenizer, Vocab vocab, int maxTokens) {
        int[] codePoints = tokenizer.codePoints(readText(file));
        if (codePoints.length == 0) throw new CharlmException(file + " has no text to evaluate; use another file");
        return cut(vocab.encode(codePoints), maxTokens);
    }

    private static int[] cut(int[] tokens, int maxTokens) {
        if (maxTokens < 0) throw new CharlmException("--max-tokens must be 0 (all) or positive, got " + maxTokens);
        return maxTokens > 0 && tokens.length > maxTokens ? Arrays.copyOf(tokens, maxTokens) : tokens;
    }

    /** The whole file as strict UTF-8, or one clear error. */
    public static String readText(Path file) {
        if (Files.isDirectory(file)) {
            throw new CharlmException("data file " + file + " is a directory; give a text file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CharlmException("data file " + file + " does not exist; check the path given to --data");
        } catch (IOException e) {
            throw new CharlmException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length == 0) throw new CharlmException("data file " + file + " is empty; give a text file with some text in it");
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            String text = utf8.decode(in).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (MalformedInputException e) {
            throw new CharlmException("data file " + file + " is not UTF-8 text (invalid bytes near offset " + in.position()
                    + "); convert it first, e.g. iconv -f latin1 -t utf-8");
        } catch (CharacterCodingException e) {
            throw new CharlmException("data file " + file + " is not UTF-8 text; convert it first, e.g. iconv -f latin1 -t utf-8");
        }
    }
}
