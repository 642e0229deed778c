package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.data.TokenSequence;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.KernelsAndThreads;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
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
                + Evaluator.STREAMS + " contiguous pieces, each from a zero state, scored side by side; the first line says what was scored.",
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

    @Spec
    CommandSpec spec;

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
            Corpus.Encoded text = Corpus.encodeCounting(file, loaded.tokenizer(), loaded.vocab(), maxTokens);
            int[] tokens = text.tokens();
            if (tokens.length < 2) throw new CharlmException(file + " has " + tokens.length + " token; evaluation needs at least 2");
            if (text.unknown() == tokens.length) {
                throw new CharlmException(file + ": none of its " + tokens.length + " tokens is in the model's vocabulary (the model has never seen "
                        + text.unknownSummary(5) + "); evaluate it on text in the alphabet it was trained on");
            }
            Evaluator.Plan plan = Evaluator.plan(tokens.length, sample, placed);
            double ppl = Evaluator.perplexity(loaded.model(), TokenSequence.of(tokens), plan);
            PrintWriter out = spec.commandLine().getOut();
            out.println("scored " + plan.description());
            out.println(text.unknown() == 0
                    ? String.format(Locale.ROOT, "tokens %d, all in the model's vocabulary", tokens.length)
                    : String.format(Locale.ROOT, "tokens %d, unknown %d (%.2f%%), scored as <unk>: %s", tokens.length, text.unknown(),
                            100.0 * text.unknown() / tokens.length, text.unknownSummary(10)));
            out.println(String.format(Locale.ROOT, "perplexity %.6f", ppl));
        }
        return 0;
    }
}
