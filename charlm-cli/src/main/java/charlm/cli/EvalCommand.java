package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.train.Evaluator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code charlm eval}: perplexity of a model on a text, the reference's definition. It says how many
 * tokens the model's vocabulary did not know, and refuses a text it knows nothing of.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a model on a text: the tokens fed as one stream from a zero state, predicting each next token; "
                + "exp of the mean negative log-likelihood.",
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (maxTokens < 0) throw new CharlmException("--max-tokens must be 0 (all) or positive, got " + maxTokens);
        try (Workers workers = Workers.serial()) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, Kernels.get(), workers);
            Path file = BookSource.timeMachine().resolve(data);
            Corpus.Encoded text = Corpus.encodeCounting(file, loaded.tokenizer(), loaded.vocab(), maxTokens);
            int[] tokens = text.tokens();
            if (tokens.length < 2) throw new CharlmException(file + " has " + tokens.length + " token; evaluation needs at least 2");
            if (text.unknown() == tokens.length) {
                throw new CharlmException(file + ": none of its " + tokens.length + " tokens is in the model's vocabulary (the model has never seen "
                        + text.unknownSummary(5) + "); evaluate it on text in the alphabet it was trained on");
            }
            double ppl = Evaluator.perplexity(loaded.model(), tokens);
            PrintWriter out = spec.commandLine().getOut();
            out.println(text.unknown() == 0
                    ? String.format(Locale.ROOT, "tokens %d, all in the model's vocabulary", tokens.length)
                    : String.format(Locale.ROOT, "tokens %d, unknown %d (%.2f%%), scored as <unk>: %s", tokens.length, text.unknown(),
                            100.0 * text.unknown() / tokens.length, text.unknownSummary(10)));
            out.println(String.format(Locale.ROOT, "perplexity %.6f", ppl));
        }
        return 0;
    }
}
