package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.train.Evaluator;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code charlm eval}: perplexity of a model on a text, the reference's definition. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a model on a text: the tokens fed as one stream from a zero state, predicting each next token;",
                "exp of the mean negative log-likelihood. Characters outside the model's vocabulary count as <unk>. Prints 'perplexity <value>'."})
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
            int[] tokens = Corpus.encode(file, loaded.tokenizer(), loaded.vocab(), maxTokens);
            if (tokens.length < 2) throw new CharlmException(file + " has " + tokens.length + " token; evaluation needs at least 2");
            double ppl = Evaluator.perplexity(loaded.model(), tokens);
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "perplexity %.6f", ppl));
        }
        return 0;
    }
}
