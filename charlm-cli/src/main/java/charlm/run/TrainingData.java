package charlm.run;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.data.TokenCache;
import charlm.data.TokenSequence;
import charlm.data.Vocab;
import charlm.settings.Settings;
import charlm.train.MemoryPlan;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The text of a run as token streams: the file it came from, its vocabulary, all its tokens (after
 * --max-tokens), the stream trained on and the held-out tail (null without --val-fraction), the last two
 * views of the first. A short text is held as an int[]; a big one (or any with --token-cache) is read
 * from its token cache, mapped, so that neither the text nor an int per character is on the heap.
 */
public record TrainingData(Path file, Vocab vocab, TokenSequence tokens, TokenSequence train, TokenSequence validation) {

    /** The data file the settings name, or the book (cached or downloaded). */
    public static Path file(Settings s) {
        return BookSource.timeMachine().resolve(s.get(TrainingSettings.DATA));
    }

    /** Reads the text the settings name and splits it, saying nothing about it. */
    public static TrainingData load(Settings s) {
        return load(s, line -> { });
    }

    /** Reads the text the settings name and splits it; lines about its token cache and --max-vocab go to say. */
    public static TrainingData load(Settings s, Consumer<String> say) {
        Path file = file(s);
        Tokens t = tokens(file, s, say);
        return split(file, t.vocab(), t.all(), s);
    }

    /** A text's vocabulary and all its tokens after --max-tokens, not yet split. */
    public record Tokens(Vocab vocab, TokenSequence all) {
    }

    /**
     * The tokens of file as the settings read it: through its token cache (mapped) when it is big or
     * --token-cache is given, else into an int[]. The one place that rule lives: train, resume and every
     * sweep trial read a text through it. Lines about the cache and --max-vocab go to say.
     */
    public static Tokens tokens(Path file, Settings s, Consumer<String> say) {
        int maxTokens = s.get(TrainingSettings.MAX_TOKENS), maxVocab = s.get(TrainingSettings.MAX_VOCAB);
        Path cacheDir = s.get(TrainingSettings.TOKEN_CACHE);
        if (cacheDir != null || size(file) > TokenCache.USE_ABOVE_BYTES) {
            TokenCache.Cached c = TokenCache.open(file, s.get(TrainingSettings.TOKENIZER), maxVocab, cacheDir, say);
            if (c.droppedCharacters() > 0) {
                say.accept(new Vocab.Limited(c.vocab(), c.droppedCharacters(), c.unknownTokens(), c.tokens().length()).summary(maxVocab));
            }
            return new Tokens(c.vocab(), c.tokens().first(maxTokens));
        }
        Corpus corpus = Corpus.load(file, s.get(TrainingSettings.TOKENIZER), maxTokens, maxVocab, say);
        return new Tokens(corpus.vocab(), TokenSequence.of(corpus.tokens()));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // the reader says what is wrong with the file
        }
    }

    /** Refuses, before anything is allocated, a model and buffers this Java cannot hold (one clear line). */
    public void checkMemory(Settings s) {
        long perEpoch = train.length() / Math.max(1L, (long) s.get(TrainingSettings.BATCH_SIZE) * s.get(TrainingSettings.NUM_STEPS));
        MemoryPlan.check(s, vocab.size(), perEpoch, Runtime.getRuntime());
    }

    /** Holds out the last fraction of the stream, as --val-fraction says: both parts are views, nothing is copied. */
    public static TrainingData split(Path file, Vocab vocab, TokenSequence all, Settings s) {
        double fraction = s.get(TrainingSettings.VAL_FRACTION);
        long n = all.length();
        if (fraction == 0) return new TrainingData(file, vocab, all, all, null);
        long val = Math.round(n * fraction);
        if (val < 2) {
            throw new CharlmException("--val-fraction " + fraction + " of " + n + " tokens holds out fewer than 2; use a larger fraction or more text");
        }
        return new TrainingData(file, vocab, all, all.slice(0, n - val), all.slice(n - val, n));
    }
}
