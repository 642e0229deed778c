package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.data.TokenCache;
import charlm.data.TokenSequence;
import charlm.data.Vocab;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.KernelsAndThreads;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code charlm eval}: perplexity of a model on a text, the reference's definition (a text of more than
 * 2 x {@link Evaluator#MIN_PIECE} tokens is cut into pieces scored side by side; see {@link Evaluator}).
 * It says what it scored, how many tokens the model's vocabulary did not know, and refuses a text it
 * knows nothing of.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a model on a text: the tokens fed as one stream from a zero state, predicting each next token; "
                + "exp of the mean negative log-likelihood. A text of more than " + 2 * Evaluator.MIN_PIECE + " tokens is cut into up to "
                + Evaluator.STREAMS + " contiguous pieces, each from a zero state, scored side by side; the line 'scored ...' says what was scored (after a line about the token cache, if one is made).",
                "The text is cleaned by the model's own tokenizer. Characters outside its vocabulary count as <unk>; the line before "
                        + "the last says how many there were and which, and a text with none of the model's characters is refused. "
                        + "The last line is 'perplexity <value>'."})
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.safetensors written by charlm train or the reference.")
    Path model;

    @Option(names = "--data", paramLabel = "FILE", description = "Text to evaluate on. Default: The Time Machine (cached or downloaded).")
    Path data;

    @Option(names = "--max-tokens", defaultValue = "10000", paramLabel = "N", description = "Use the first N tokens (0 = all). Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--eval-tokens", defaultValue = "0", paramLabel = "N",
            description = "Score a fixed sample of about N predictions of the text (windows placed by --seed) instead of all of it; "
                    + "0 = all. Either way up to " + Evaluator.STREAMS + " pieces are scored at once, each from a zero state. Default: ${DEFAULT-VALUE}.")
    String evalTokens;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Places the windows of --eval-tokens. Default: ${DEFAULT-VALUE}.")
    String seed;

    @Option(names = "--token-cache", paramLabel = "DIR",
            description = "Read the text through its token cache in DIR (made there first if missing), as train does; a text over "
                    + (TokenCache.USE_ABOVE_BYTES >> 20) + " MB scored whole (--max-tokens 0) is read through one beside it anyway, so that neither the text nor an int "
                    + "per character is held in memory.")
    Path tokenCache;

    @Spec
    CommandSpec spec;

    /** Whether the text is read through a token cache (the rule of train's data: a big text, or --token-cache). */
    private boolean cached(Path file) {
        try {
            // A few thousand tokens of a big text (the default --max-tokens) are read faster than a first cache is made.
            return tokenCache != null || (maxTokens == 0 || maxTokens > TokenCache.USE_ABOVE_BYTES) && Files.size(file) > TokenCache.USE_ABOVE_BYTES;
        } catch (IOException e) {
            return false; // the reader says what is wrong with the file
        }
    }

    /**
     * The tokens scored, in the model's vocabulary, and the tokens it did not know.
     *
     * @param unknownCharacters the most frequent unknown characters (at most so many) and their counts, for one line
     */
    private record Scored(TokenSequence tokens, long unknown, IntFunction<String> unknownCharacters) {
        String unknownSummary(int max) {
            return unknownCharacters.apply(max);
        }

        static Scored of(Corpus.Encoded text) {
            return new Scored(TokenSequence.of(text.tokens()), text.unknown(), text::unknownSummary);
        }

        /**
         * The text from its token cache (made with the model's tokenizer and --max-vocab, so the cache its
         * training run made is found), each cached id read as the model's. When the two vocabularies are
         * the same (the model's own text) nothing is counted or copied; otherwise one pass counts the
         * characters the model does not know.
         */
        static Scored fromCache(Path file, Checkpoint.Loaded model, Path dir, Consumer<String> say, int maxTokens) {
            int maxVocab = model.settings().get(TrainingSettings.MAX_VOCAB);
            TokenCache.Cached c = TokenCache.open(file, model.tokenizer(), maxVocab, dir, say);
            int[] toModel = toModel(c.vocab(), model.vocab());
            boolean same = isIdentity(toModel);
            // Another text: its own --max-vocab cut would hide characters the model knows; its whole vocabulary is read instead.
            if (!same && maxVocab > 0) {
                c = TokenCache.open(file, model.tokenizer(), 0, dir, say);
                toModel = toModel(c.vocab(), model.vocab());
            }
            List<String> cachedTokens = c.vocab().tokens();
            TokenSequence tokens = c.tokens().first(maxTokens);
            if (same) {
                long unknown = maxTokens == 0 ? c.unknownTokens() : count(tokens, toModel)[0];
                return new Scored(tokens, unknown, max -> "the characters --max-vocab " + maxVocab + " left out of the model's vocabulary");
            }
            long[] byCachedId = count(tokens, toModel);
            Map<Integer, Long> unknownCharacters = new LinkedHashMap<>();
            for (int j = 0; j < toModel.length; j++) {
                if (toModel[j] == 0 && byCachedId[j + 1] > 0) unknownCharacters.put(cachedTokens.get(j).codePointAt(0), byCachedId[j + 1]);
            }
            // Worded as the int[] path words them (Corpus.Encoded's summary), from the counts of this pass.
            Corpus.Encoded counted = new Corpus.Encoded(new int[0], byCachedId[0], unknownCharacters);
            return new Scored(new Remapped(tokens, toModel), byCachedId[0], counted::unknownSummary);
        }

        /** Each cached id's id in the model's vocabulary (0, <unk>, where it has none). */
        private static int[] toModel(Vocab cached, Vocab model) {
            List<String> tokens = cached.tokens();
            int[] toModel = new int[tokens.size()];
            for (int j = 0; j < toModel.length; j++) toModel[j] = tokens.get(j).equals(Vocab.UNK) ? 0 : model.index(tokens.get(j).codePointAt(0));
            return toModel;
        }

        private static boolean isIdentity(int[] table) {
            for (int j = 0; j < table.length; j++) if (table[j] != j) return false;
            return true;
        }

        /** [0]: tokens the model reads as <unk>; [j + 1]: how often cached id j comes. */
        private static long[] count(TokenSequence tokens, int[] toModel) {
            long[] counts = new long[toModel.length + 1];
            for (long i = 0; i < tokens.length(); i++) counts[tokens.get(i) + 1]++;
            for (int j = 0; j < toModel.length; j++) if (toModel[j] == 0) counts[0] += counts[j + 1];
            return counts;
        }
    }

    /** A cached text's ids read as another vocabulary's, through a table: a view, nothing copied. */
    private record Remapped(TokenSequence cached, int[] toModel) implements TokenSequence {
        @Override
        public long length() {
            return cached.length();
        }

        @Override
        public int get(long i) {
            return toModel[cached.get(i)];
        }

        @Override
        public void copy(long from, int[] dst, int at, int n) {
            cached.copy(from, dst, at, n);
            for (int k = at; k < at + n; k++) dst[k] = toModel[dst[k]];
        }

        @Override
        public TokenSequence slice(long from, long to) {
            return new Remapped(cached.slice(from, to), toModel);
        }
    }

    @Override
    public Integer call() {
        if (maxTokens < 0) throw new CharlmException("--max-tokens must be 0 (all) or positive, got " + maxTokens);
        long sample = TrainingSettings.EVAL_TOKENS.parse(evalTokens);
        long placed = TrainingSettings.SEED.parse(seed);
        // Loaded with one thread first: the model's size decides the thread count, as in train (results do not depend on it).
        Checkpoint.Loaded peek;
        try (Workers one = Workers.serial()) {
            peek = Checkpoint.load(model, Kernels.get(), one);
        }
        try (KernelsAndThreads compute = KernelsAndThreads.create(TrainingSettings.threads(peek.settings().with(TrainingSettings.THREADS, 0)))) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, compute.kernels(), compute.workers());
            Path file = BookSource.timeMachine().resolve(data);
            PrintWriter out = spec.commandLine().getOut();
            Scored text = cached(file) ? Scored.fromCache(file, loaded, tokenCache, out::println, maxTokens)
                    : Scored.of(Corpus.encodeCounting(file, loaded.tokenizer(), loaded.vocab(), maxTokens));
            long n = text.tokens().length();
            if (n < 2) throw new CharlmException(file + " has " + n + " token; evaluation needs at least 2");
            if (text.unknown() == n) {
                throw new CharlmException(file + ": none of its " + n + " tokens is in the model's vocabulary (the model has never seen "
                        + text.unknownSummary(5) + "); evaluate it on text in the alphabet it was trained on");
            }
            Evaluator.Plan plan = Evaluator.plan(n, sample, placed);
            double ppl = Evaluator.perplexity(loaded.model(), text.tokens(), plan);
            out.println("scored " + plan.description());
            out.println(text.unknown() == 0
                    ? String.format(Locale.ROOT, "tokens %d, all in the model's vocabulary", n)
                    : String.format(Locale.ROOT, "tokens %d, unknown %d (%.2f%%), scored as <unk>: %s", n, text.unknown(),
                            100.0 * text.unknown() / n, text.unknownSummary(10)));
            out.println(String.format(Locale.ROOT, "perplexity %.6f", ppl));
        }
        return 0;
    }
}
