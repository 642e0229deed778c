package charlm.cli;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code charlm generate}: warm up on a prefix, then decode. The text is printed as it is generated,
 * so any --num-preds runs in constant memory; the last line printed is the text.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a prefix with a trained model: warm-up on the prefix, then greedy decoding (the chapter) or sampling.",
                "The generated text (prefix + continuation) is printed as it comes, and is the last line printed.",
                "The prefix is first cleaned as the model's training text was: for the book's letters tokenizer every run of "
                        + "non-letters is one space and letters are lower case (\"Time, Traveller!\" is read as \"time traveller\"); "
                        + "for a chars model (trained with --tokenizer chars) only line ends change (\\r\\n is \\n). A character the model has never seen is refused, "
                        + "with a list of them: the model would read it as <unk>, which no training text contained."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.safetensors written by charlm train or the reference.")
    Path model;

    @Option(names = "--prefix", defaultValue = Predictor.PROBE_PREFIX, paramLabel = "TEXT",
            description = "Text to continue, cleaned as the model's training text was (see above). Default: ${DEFAULT-VALUE}.")
    String prefix;

    @Option(names = "--num-preds", defaultValue = "" + Predictor.PROBE_LENGTH, paramLabel = "N",
            description = "Characters to generate, printed as they come (any N up to 2147483647 runs in constant memory). Default: ${DEFAULT-VALUE}.")
    int numPreds;

    @Option(names = "--strategy", defaultValue = "greedy", paramLabel = "greedy|sample",
            description = "greedy: the most likely character each step (the chapter); sample: draw from q ∝ P^α. Default: ${DEFAULT-VALUE}.")
    String strategy;

    @Option(names = "--temperature", paramLabel = "T",
            description = "With sample: divide the logits by T, the same as --alpha 1/T (sampling from q ∝ P^(1/T)). Default: 1.")
    Double temperature;

    @Option(names = "--alpha", paramLabel = "A",
            description = "With sample: sample from q ∝ P^A (the chapter's exercise 3); A > 1 favours likely characters, A = 1/temperature. Default: 1.")
    Double alpha;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "With sample: only the K most likely characters (0 = all). Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed for sampling; the same seed gives the same text. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (prefix.isEmpty()) throw new CharlmException("--prefix is empty; give at least one character to start from");
        if (numPreds < 0) throw new CharlmException("--num-preds must be 0 or more, got " + numPreds);
        Predictor.Decoding decoding = decoding();
        try (Workers workers = Workers.serial()) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, Kernels.get(), workers);
            Predictor p = new Predictor(loaded.model(), loaded.vocab(), loaded.tokenizer());
            checkPrefix(p, loaded.tokenizer(), loaded.vocab());
            PrintWriter out = spec.commandLine().getOut();
            long[] printed = {0};
            // A reader that went away (| head) ends the run; PrintWriter only says so through checkError().
            p.generate(prefix, numPreds, decoding, token -> {
                out.print(token);
                printed[0]++;
            }, () -> (printed[0] & 4095) == 0 && out.checkError());
            out.println();
            out.flush();
        }
        return 0;
    }

    /** Refuses a prefix the model cannot read, before anything is printed. */
    private void checkPrefix(Predictor p, Tokenizer tokenizer, Vocab vocab) {
        if (tokenizer.normalizePrompt(prefix).isEmpty()) {
            throw new CharlmException("--prefix " + Vocab.shown(prefix) + " has no letters, and a letters model reads only a-z and the spaces"
                    + " between words; give a prefix with letters");
        }
        List<String> unseen = p.unseen(prefix);
        if (!unseen.isEmpty()) {
            StringBuilder list = new StringBuilder();
            for (int k = 0; k < unseen.size() && k < 10; k++) list.append(k > 0 ? ", " : "").append(Vocab.shown(unseen.get(k)));
            if (unseen.size() > 10) list.append(" and ").append(unseen.size() - 10).append(" more");
            throw new CharlmException("--prefix " + Vocab.shown(p.prompt(prefix)) + " has characters the model has never seen: " + list
                    + " (its vocabulary has " + (vocab.size() - 1) + " characters from its training text); leave them out");
        }
    }

    private Predictor.Decoding decoding() {
        String s = strategy.toLowerCase(java.util.Locale.ROOT);
        if (s.equals("greedy")) {
            if (temperature != null || alpha != null || topK != 0) {
                throw new CharlmException("--temperature, --alpha and --top-k apply to --strategy sample; add it or drop them");
            }
            return Predictor.Decoding.GREEDY;
        }
        if (!s.equals("sample")) throw new CharlmException("--strategy must be greedy or sample, got '" + strategy + "'");
        if (temperature != null && alpha != null) throw new CharlmException("give --temperature or --alpha, not both (alpha = 1/temperature)");
        double a = 1.0;
        if (alpha != null) a = alpha;
        if (temperature != null) {
            if (!(temperature > 0) || temperature.isInfinite()) throw new CharlmException("--temperature must be a positive number, got " + temperature);
            a = 1.0 / temperature;
        }
        return Predictor.Decoding.sample(a, topK, new Rng(seed));
    }
}
