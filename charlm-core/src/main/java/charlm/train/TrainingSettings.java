package charlm.train;

import charlm.CharlmException;
import charlm.data.Tokenizer;
import charlm.model.Activation;
import charlm.model.CellKind;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.settings.Setting;
import charlm.settings.Setting.Scope;
import charlm.settings.Settings;
import charlm.settings.ValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every setting of a training run, each declared once; the defaults are the book's (batch 32,
 * 35 steps, 512 hidden units, lr 1, clipping at θ = 1, sequential partitioning, 500 epochs on the
 * first 10,000 tokens). The command line's options, sweep lists, --resume, config.json and checkpoint
 * metadata are all made from this table; adding a setting is one declaration here plus the code
 * that reads it. Checks that involve two settings are in {@link #validate}.
 */
public final class TrainingSettings {
    private TrainingSettings() {
    }

    private static final List<Setting<?>> TABLE = new ArrayList<>();

    private static <T> Setting<T> declare(Setting<T> s) {
        TABLE.add(s);
        return s;
    }

    private static boolean positive(int v) {
        return v > 0;
    }

    // ---------------------------------------------------------------- data

    public static final Setting<Path> DATA = declare(Setting.of("data", Scope.DATA, ValueType.PATH, (Path) null).label("FILE")
            .expected("a file name")
            .help("Text file to train on. Default: The Time Machine, downloaded once from the book's URL and cached under $CHARLM_HOME (default ~/.cache/charlm)."));

    public static final Setting<Integer> MAX_TOKENS = declare(Setting.of("max-tokens", Scope.DATA, ValueType.INTEGER, 10_000).label("N")
            .check(v -> v >= 0, "0 (all) or a positive whole number")
            .help("Use the first N tokens, as the book does (0 = all)."));

    public static final Setting<Tokenizer> TOKENIZER = declare(Setting.of("tokenizer", Scope.MODEL, ValueType.oneOf(Tokenizer.class), Tokenizer.LETTERS)
            .help("letters: the book's cleaning (a-z and space); chars: every Unicode character of the text."));

    public static final Setting<Double> VAL_FRACTION = declare(Setting.of("val-fraction", Scope.DATA, ValueType.DECIMAL, 0.0).label("F")
            .check(v -> v >= 0 && v < 1, "a fraction in [0, 1)")
            .help("Hold out the last fraction F of the token stream; its perplexity is reported each epoch."));

    // ---------------------------------------------------------------- model

    public static final Setting<String> CELL = declare(Setting.of("cell", Scope.MODEL, ValueType.oneOf(TrainingSettings::cellNames), "rnn")
            .help("Recurrent cell: the chapter's RNN, or the book's GRU or LSTM (from scratch)."));

    public static final Setting<Integer> LAYERS = declare(Setting.of("layers", Scope.MODEL, ValueType.INTEGER, 1).label("N")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Stacked recurrent layers."));

    public static final Setting<Integer> HIDDENS = declare(Setting.of("hiddens", Scope.MODEL, ValueType.INTEGER, 512).label("H")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Hidden units per layer."));

    public static final Setting<Activation> ACTIVATION = declare(Setting.of("activation", Scope.MODEL, ValueType.oneOf(Activation.class), Activation.TANH)
            .help("Activation of the RNN cell (GRU and LSTM have their own)."));

    public static final Setting<InputKind> INPUT = declare(Setting.of("input", Scope.MODEL, ValueType.oneOf(InputKind.class), InputKind.ONEHOT)
            .help("One-hot inputs (the chapter) or a learned embedding table."));

    public static final Setting<Integer> EMBED_DIM = declare(Setting.of("embed-dim", Scope.MODEL, ValueType.INTEGER, 32).label("E")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Embedding size with --input embedding."));

    // ---------------------------------------------------------------- training

    public static final Setting<Integer> BATCH_SIZE = declare(Setting.of("batch-size", Scope.TRAINING, ValueType.INTEGER, 32).label("B")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Minibatch size."));

    public static final Setting<Integer> NUM_STEPS = declare(Setting.of("num-steps", Scope.TRAINING, ValueType.INTEGER, 35).label("T")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Time steps per minibatch."));

    public static final Setting<Sampling> SAMPLING = declare(Setting.of("sampling", Scope.TRAINING, ValueType.oneOf(Sampling.class), Sampling.SEQUENTIAL)
            .help("sequential: partitioning with the state carried (and detached) across minibatches; random: random sampling with a fresh "
                    + "state per minibatch; book-random: what the book's 'random' run really does, a fresh state per minibatch on the "
                    + "sequential iterator."));

    public static final Setting<Boolean> DETACH = declare(Setting.of("detach", Scope.TRAINING, ValueType.BOOLEAN, true)
            .expected("true or false")
            .help("With --no-detach (sequential sampling only), gradients flow back across minibatch boundaries through the whole epoch "
                    + "instead of stopping at each minibatch as in the chapter: true BPTT over the epoch, slower."));

    public static final Setting<String> OPTIMIZER = declare(Setting.of("optimizer", Scope.TRAINING, ValueType.oneOf(Optimizers::names), "sgd")
            .help("How the parameters follow their gradient: sgd, the chapter's x <- x - lr g."));

    public static final Setting<Double> LR = declare(Setting.of("lr", Scope.TRAINING, ValueType.DECIMAL, 1.0).label("RATE")
            .check(v -> v > 0, "a positive number")
            .help("Learning rate."));

    public static final Setting<Double> CLIP = declare(Setting.of("clip", Scope.TRAINING, ValueType.NUMBER_OR_NONE, 1.0).label("THETA|none")
            .check(v -> v > 0, "a positive number or 'none'")
            .help("Clip the global gradient norm to THETA (g <- min(1, THETA/|g|) g), or 'none' for no clipping."));

    public static final Setting<Long> SEED = declare(Setting.of("seed", Scope.TRAINING, ValueType.LONG, 0L).label("S")
            .expected("a whole number")
            .help("Seed of the run's one random generator (initialisation, minibatch offsets and order)."));

    // ---------------------------------------------------------------- run

    public static final Setting<Integer> EPOCHS = declare(Setting.of("epochs", Scope.RUN, ValueType.INTEGER, 500).label("N")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Epochs to train."));

    public static final Setting<Integer> CHECKPOINT_EVERY = declare(Setting.of("checkpoint-every", Scope.RUN, ValueType.INTEGER, 0).label("K")
            .check(v -> v >= 0, "0 (only at the end) or a positive whole number")
            .help("Also write model.safetensors every K epochs (0 = only at the end); each write is atomic, so a crash leaves the last one loadable."));

    public static final Setting<String> PREFIX = declare(Setting.of("prefix", Scope.RUN, ValueType.TEXT, "time traveller").label("TEXT")
            .check(v -> !v.isEmpty(), "at least one character")
            .help("Prefix of the predictions printed during and after training."));

    /** Threads beyond this many per core only add switching; 100,000 threads would take the machine down. */
    public static final int MAX_THREADS_PER_CORE = 4;

    public static final Setting<Integer> THREADS = declare(Setting.of("threads", Scope.RUN, ValueType.INTEGER, 0).label("N")
            .check(v -> v >= 0 && v <= maxThreads(), "0 (automatic) or a whole number up to " + maxThreads()
                    + " (" + MAX_THREADS_PER_CORE + " per core)")
            .help("Worker threads; 0 = automatic (all cores from 128 hidden units on, else 1). Results do not depend on it."));

    /** The whole table, in declaration order. */
    public static List<Setting<?>> all() {
        return List.copyOf(TABLE);
    }

    /** The book's settings: every default. */
    public static Settings book() {
        return Settings.defaults(TABLE);
    }

    static int maxThreads() {
        return MAX_THREADS_PER_CORE * Runtime.getRuntime().availableProcessors();
    }

    private static List<String> cellNames() {
        return Arrays.stream(CellKind.values()).map(CellKind::cliName).toList();
    }

    /** Checks that involve more than one setting; single values were checked when they were set. */
    public static Settings validate(Settings s) {
        if (!s.get(DETACH) && s.get(SAMPLING) != Sampling.SEQUENTIAL) {
            throw new CharlmException("--no-detach needs --sampling sequential: only then does one minibatch continue the last");
        }
        if (s.get(ACTIVATION) != Activation.TANH && !s.get(CELL).equals("rnn")) {
            throw new CharlmException("--activation applies to --cell rnn only; GRU and LSTM have their own");
        }
        return s;
    }

    /**
     * Whether a setting changes anything under the others: --embed-dim only with an embedding input,
     * --activation only with the plain RNN cell. A sweep lists such a setting's values only where they apply.
     */
    public static boolean applies(Setting<?> setting, Settings s) {
        if (setting == EMBED_DIM) return s.get(INPUT) == InputKind.EMBEDDING;
        if (setting == ACTIVATION) return s.get(CELL).equals("rnn");
        return true;
    }

    /** s with every setting that does not apply put back to its default, so equal runs have equal settings. */
    public static Settings withoutWhatDoesNotApply(Settings s) {
        Settings out = s;
        for (Setting<?> setting : TABLE) if (!applies(setting, s)) out = reset(out, setting);
        return out;
    }

    private static <T> Settings reset(Settings s, Setting<T> setting) {
        return s.with(setting, setting.defaultValue());
    }

    /** The model these settings describe, for a vocabulary of vocabSize tokens. */
    public static ModelConfig modelConfig(Settings s, int vocabSize) {
        return new ModelConfig(vocabSize, s.get(HIDDENS), s.get(ACTIVATION), s.get(INPUT), s.get(EMBED_DIM), CellKind.parse(s.get(CELL)),
                s.get(LAYERS));
    }

    /** settings with their model part made to describe model (cell, depth, sizes, input), for a checkpoint. */
    public static Settings describing(Settings settings, ModelConfig model) {
        Settings s = settings.with(CELL, model.cell().cliName()).with(LAYERS, model.layers()).with(HIDDENS, model.hiddens())
                .with(ACTIVATION, model.activation()).with(INPUT, model.input());
        return model.input() == InputKind.EMBEDDING ? s.with(EMBED_DIM, model.embedDim()) : s;
    }

    /** The thread count to use: as set, or automatic. */
    public static int threads(Settings s) {
        int t = s.get(THREADS);
        if (t > 0) return t;
        // Splitting a step over the hidden units pays once a step has real work: from H = 128 on
        // (measured: B = 2, H = 512 runs 1.5-1.6x faster on two threads than on one, JDK 17 and 25).
        return s.get(HIDDENS) >= 128 ? Runtime.getRuntime().availableProcessors() : 1;
    }
}
