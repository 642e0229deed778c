package charlm.train;

import charlm.CharlmException;
import charlm.data.Tokenizer;
import charlm.model.Activation;
import charlm.data.Rng;
import charlm.model.CellType;
import charlm.model.Cells;
import charlm.model.Initializers;
import charlm.model.Parameters;
import charlm.model.RnnModel;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.settings.Setting;
import charlm.settings.Setting.Scope;
import charlm.settings.Settings;
import charlm.settings.ValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

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

    public static final Setting<Integer> MAX_VOCAB = declare(Setting.of("max-vocab", Scope.DATA, ValueType.INTEGER, 0).label("K")
            .check(v -> v == 0 || v >= 2 && v <= charlm.data.TokenCache.MAX_VOCAB, "0 (no limit) or a whole number from 2 (<unk> and one character) to "
                    + charlm.data.TokenCache.MAX_VOCAB)
            .help("Keep at most K tokens in the vocabulary, <unk> included: the rarest characters become <unk> (the run says how much of "
                    + "the text that touches). 0 = every character of the text."));

    public static final Setting<Path> TOKEN_CACHE = declare(Setting.of("token-cache", Scope.DATA, ValueType.PATH, (Path) null).label("DIR")
            .expected("a folder name")
            .help("Tokenise the text once into a cache file in DIR (1 or 2 bytes a token) and map it at every start, instead of holding "
                    + "its tokens in memory. A text over " + (charlm.data.TokenCache.USE_ABOVE_BYTES >> 20) + " MB always is, beside the text unless DIR is given; "
                    + "a text that changes is tokenised again."));

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
            .appliesWhen(s -> cell(s).usesActivation(),
                    s -> "--activation applies to --cell rnn only; " + s.get(CELL) + " has its own nonlinearities")
            .help("Activation of the RNN cell (GRU and LSTM have their own)."));

    public static final Setting<InputKind> INPUT = declare(Setting.of("input", Scope.MODEL, ValueType.oneOf(InputKind.class), InputKind.ONEHOT)
            .help("One-hot inputs (the chapter) or a learned embedding table."));

    public static final Setting<Integer> EMBED_DIM = declare(Setting.of("embed-dim", Scope.MODEL, ValueType.INTEGER, 32).label("E")
            .check(TrainingSettings::positive, "a positive whole number").appliesWhen(s -> s.get(INPUT) == InputKind.EMBEDDING)
            .help("Embedding size with --input embedding."));

    // ---------------------------------------------------------------- training

    public static final Setting<String> INIT = declare(Setting.of("init", Scope.TRAINING, ValueType.oneOf(Initializers::names), "book")
            .help("How the parameters start: book (the chapter's N(0, 0.01^2) weights, zero biases), uniform (U(+-1/sqrt(H)) for every weight "
                    + "and bias, as PyTorch's recurrent modules), xavier (Glorot-uniform matrices, zero biases) or orthogonal (random "
                    + "orthogonal hidden-to-hidden matrices, Glorot for the rest). An embedding always starts from N(0, 1)."));

    public static final Setting<Double> FORGET_BIAS = declare(Setting.of("forget-bias", Scope.TRAINING, ValueType.DECIMAL, 0.0).label("B")
            .expected("a number")
            .appliesWhen(s -> cell(s).declares(Parameters.Role.FORGET_GATE_BIAS),
                    s -> "--forget-bias applies to a cell with a forget gate (--cell lstm); " + s.get(CELL) + " has none")
            .help("Start an LSTM's forget-gate bias b_f at B (1 is common: the cell remembers from the start); LSTM only."));

    public static final Setting<Double> DROPOUT = declare(Setting.of("dropout", Scope.TRAINING, ValueType.DECIMAL, 0.0).label("P")
            .check(v -> v >= 0 && v < 1, "a probability in [0, 1)")
            .help("Inverted dropout with probability P on every layer's outputs: between stacked layers and before the output layer. "
                    + "Masks come from the run's generator (the same for any thread count, and after --resume); off in eval, generate "
                    + "and held-out scoring."));

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
            .help("How the parameters follow their gradient: sgd (the chapter's x <- x - lr g), adam, adamw (Adam with decoupled weight "
                    + "decay) or rmsprop, each as torch.optim computes it."));

    public static final Setting<Double> LR = declare(Setting.of("lr", Scope.TRAINING, ValueType.DECIMAL, 1.0).label("RATE")
            .check(v -> v > 0, "a positive number")
            .help("Learning rate (the peak rate of a schedule). Adam and RMSprop want much smaller rates than the chapter's SGD, e.g. 0.002."));

    public static final Setting<Double> BETA1 = declare(Setting.of("beta1", Scope.TRAINING, ValueType.DECIMAL, 0.9).label("B1")
            .check(v -> v >= 0 && v < 1, "a number in [0, 1)")
            .help("Adam's decay rate of the gradient's running mean."));

    public static final Setting<Double> BETA2 = declare(Setting.of("beta2", Scope.TRAINING, ValueType.DECIMAL, 0.999).label("B2")
            .check(v -> v >= 0 && v < 1, "a number in [0, 1)")
            .help("Adam's decay rate of the squared gradient's running mean."));

    public static final Setting<Double> RMS_ALPHA = declare(Setting.of("rms-alpha", Scope.TRAINING, ValueType.DECIMAL, 0.99).label("A")
            .check(v -> v >= 0 && v < 1, "a number in [0, 1)")
            .help("RMSprop's decay rate of the squared gradient's running mean."));

    public static final Setting<Double> EPS = declare(Setting.of("eps", Scope.TRAINING, ValueType.DECIMAL, 1e-8).label("E")
            .check(v -> v > 0, "a positive number (it keeps the step finite where a gradient is zero)")
            .help("Added to the root of the squared-gradient mean in Adam and RMSprop."));

    public static final Setting<Double> WEIGHT_DECAY = declare(Setting.of("weight-decay", Scope.TRAINING, ValueType.DECIMAL, 0.0).label("L")
            .check(v -> v >= 0, "0 or a positive number")
            .help("Weight decay of the weight matrices (W_*, W_embed; never the biases b_*): adamw shrinks them by (1 - lr L) each step "
                    + "(decoupled); sgd, adam and rmsprop add L x to their gradient (L2)."));

    public static final Setting<String> LR_SCHEDULE = declare(Setting.of("lr-schedule", Scope.TRAINING, ValueType.oneOf(Schedules::names), "constant")
            .help("How the rate changes: constant (the chapter), cosine (from --lr down to --min-lr over the run's steps, or over "
                    + "--time-limit or --epochs, whichever runs out first, when a time limit is given without --max-steps) or step "
                    + "(times --lr-decay every --lr-decay-every epochs)."));

    public static final Setting<Integer> WARMUP_STEPS = declare(Setting.of("warmup-steps", Scope.TRAINING, ValueType.INTEGER, 0).label("N")
            .check(v -> v >= 0, "0 or a positive whole number")
            .help("Raise the rate linearly from 0 over the first N optimizer steps."));

    public static final Setting<Double> MIN_LR = declare(Setting.of("min-lr", Scope.TRAINING, ValueType.DECIMAL, 0.0).label("RATE")
            .check(v -> v >= 0, "0 or a positive number")
            .help("Where the cosine schedule ends."));

    public static final Setting<Double> LR_DECAY = declare(Setting.of("lr-decay", Scope.TRAINING, ValueType.DECIMAL, 0.5).label("F")
            .check(v -> v > 0 && v <= 1, "a number in (0, 1]")
            .help("The step schedule's factor."));

    public static final Setting<Integer> LR_DECAY_EVERY = declare(Setting.of("lr-decay-every", Scope.TRAINING, ValueType.INTEGER, 10).label("N")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("The step schedule's period, in epochs."));

    public static final Setting<Double> CLIP = declare(Setting.of("clip", Scope.TRAINING, ValueType.NUMBER_OR_NONE, 1.0).label("THETA|none")
            .check(v -> v > 0, "a positive number or 'none'")
            .help("Clip the global gradient norm to THETA (g <- min(1, THETA/|g|) g), or 'none' for no clipping."));

    public static final Setting<Long> SEED = declare(Setting.of("seed", Scope.TRAINING, ValueType.LONG, 0L).label("S")
            .expected("a whole number")
            .help("Seed of the run's one random generator (initialisation, minibatch offsets and order)."));

    // ---------------------------------------------------------------- several workers (local SGD)

    public static final Setting<Integer> WORKERS = declare(Setting.of("workers", Scope.TRAINING, ValueType.INTEGER, 1).label("N")
            .check(TrainingSettings::positive, "a positive whole number (1: one process, no rounds)")
            .help("Train one model with N workers (local SGD): the text is cut into N contiguous shards, each worker takes --sync-every steps "
                    + "of the run's optimizer on its own shard with --batch-size/N streams, then their parameter changes are averaged and "
                    + "the outer optimizer applies them. In this process, or on Spark with train --spark MASTER."));

    private static boolean severalWorkers(Settings s) {
        return s.get(WORKERS) > 1;
    }

    public static final Setting<Integer> SYNC_EVERY = declare(Setting.of("sync-every", Scope.TRAINING, ValueType.INTEGER, 500).label("H")
            .check(TrainingSettings::positive, "a positive whole number of steps")
            .appliesWhen(TrainingSettings::severalWorkers, s -> "--sync-every applies with --workers 2 or more")
            .help("Steps each worker takes between two averagings (a round); DiLoCo's 500 by default."));

    // Plain averaging by default, not DiLoCo's outer Nesterov step: on the Linux text with two workers at
    // equal tokens (docs/cluster.md), averaging every 500 steps ended 0.05 to 0.07 nats/char better than
    // one process, and DiLoCo's Nesterov at rate 0.7 and momentum 0.9 0.4 nats worse or diverged (its
    // momentum moves the model about 7 times the workers' mean change a round; DiLoCo ran it on 8
    // workers and a large pretrained model). --outer-optimizer nesterov alone gives DiLoCo's whole step.
    public static final Setting<OuterOptimizer> OUTER_OPTIMIZER = declare(Setting.of("outer-optimizer", Scope.TRAINING,
                    ValueType.oneOf(OuterOptimizer.class), OuterOptimizer.SGD)
            .appliesWhen(TrainingSettings::severalWorkers, s -> "--outer-optimizer applies with --workers 2 or more")
            .help("How the averaged parameter change moves the model after a round: sgd (heavy-ball momentum; at its default rate 1 "
                    + "and momentum 0 the new model is the workers' mean, FedAvg's averaging) or nesterov (DiLoCo's, at its rate 0.7 and "
                    + "momentum 0.9 by default)."));

    public static final Setting<Double> OUTER_LR = declare(Setting.of("outer-lr", Scope.TRAINING, ValueType.DECIMAL_OR_AUTO, (Double) null)
            .label("RATE")
            .check(v -> v == null || v > 0 && v <= 10, "a positive number up to 10, or auto")
            .appliesWhen(TrainingSettings::severalWorkers, s -> "--outer-lr applies with --workers 2 or more")
            .help("The outer optimizer's rate; auto (the default): 1 with sgd, 0.7 with nesterov (DiLoCo's)."));

    public static final Setting<Double> OUTER_MOMENTUM = declare(Setting.of("outer-momentum", Scope.TRAINING, ValueType.DECIMAL_OR_AUTO,
                    (Double) null).label("M")
            .check(v -> v == null || v >= 0 && v < 1, "a number in [0, 1), or auto")
            .appliesWhen(TrainingSettings::severalWorkers, s -> "--outer-momentum applies with --workers 2 or more")
            .help("The outer optimizer's momentum; auto (the default): 0 with sgd, 0.9 with nesterov (DiLoCo's)."));

    /** --outer-lr as the outer step uses it: the value given, or the outer optimizer's own (averaging's 1, DiLoCo's 0.7). */
    public static double outerLr(Settings s) {
        Double v = s.get(OUTER_LR);
        return v != null ? v : s.get(OUTER_OPTIMIZER).ownRate;
    }

    /** --outer-momentum as the outer step uses it: the value given, or the outer optimizer's own (averaging's 0, DiLoCo's 0.9). */
    public static double outerMomentum(Settings s) {
        Double v = s.get(OUTER_MOMENTUM);
        return v != null ? v : s.get(OUTER_OPTIMIZER).ownMomentum;
    }

    // ---------------------------------------------------------------- run

    public static final Setting<Integer> EPOCHS = declare(Setting.of("epochs", Scope.RUN, ValueType.INTEGER, 500).label("N")
            .check(TrainingSettings::positive, "a positive whole number")
            .help("Epochs to train (with --time-limit and no --epochs, as many as the time allows)."));

    /** The epochs of a run that --time-limit ends, when --epochs was not typed: more than any budget holds. */
    public static final int EPOCHS_UNDER_A_TIME_LIMIT = 1_000_000;

    public static final Setting<Integer> MAX_STEPS = declare(Setting.of("max-steps", Scope.RUN, ValueType.INTEGER, 0).label("N")
            .check(v -> v >= 0, "0 (no limit) or a positive whole number")
            .help("Stop after N optimizer steps (0 = no limit); with a schedule, its horizon."));

    public static final Setting<java.time.Duration> TIME_LIMIT = declare(Setting.of("time-limit", Scope.RUN, ValueType.DURATION, (java.time.Duration) null)
            .label("DURATION").check(v -> v == null || !v.isZero() && !v.isNegative(), "a positive duration such as 150s, 10m or 1h")
            .help("Train until this much wall time has passed since the command started (150s, 10m, 1h; over all resumed parts of a run), "
                    + "keeping back what the final evaluation and checkpoints need; then evaluate and write them. Only typed --epochs end "
                    + "such a run sooner (not the default's or a preset's). Without --max-steps the "
                    + "schedule runs over this time (or the epochs, if they run out first), so such a run is not bit-reproducible; "
                    + "with --epochs or --max-steps alone it is."));

    public static final Setting<Integer> EVAL_EVERY = declare(Setting.of("eval-every", Scope.RUN, ValueType.INTEGER, 0).label("N")
            .check(v -> v >= 0, "0 (at each epoch's end only) or a positive whole number")
            .help("Also score the held-out text every N minibatches (it is scored at each epoch's end anyway); each score is a row "
                    + "of steps.csv, and the best so far is kept as best.safetensors."));

    public static final Setting<Long> EVAL_TOKENS = declare(Setting.of("eval-tokens", Scope.RUN, ValueType.LONG, 0L).label("N")
            .check(v -> v >= 0, "0 (all of the held-out text) or a positive whole number")
            .help("Score a fixed sample of about N predictions of the held-out text (windows of " + Evaluator.WINDOW + ", placed by --seed, "
                    + "the same at every scoring) instead of all of it; 0 or more than it holds = all of it. Either way up to "
                    + Evaluator.STREAMS + " pieces are scored at once, each from a zero state."));

    public static final Setting<Integer> PATIENCE = declare(Setting.of("patience", Scope.RUN, ValueType.INTEGER, 0).label("K")
            .check(v -> v >= 0, "0 (never stop early) or a positive whole number")
            .help("Stop after K held-out scores in a row without a new best (needs --val-fraction)."));

    public static final Setting<CheckpointInterval> CHECKPOINT_EVERY = declare(Setting.of("checkpoint-every", Scope.RUN, CheckpointInterval.TYPE,
                    CheckpointInterval.AT_END).label("K|Nsteps|DURATION")
            .check(v -> v.amount() >= 0 && (v.unit() == CheckpointInterval.Unit.EPOCHS || v.any()),
                    "0 (only at the end), a number of epochs K, of optimizer steps (2000steps) or a duration (10m)")
            .help("Also write model.safetensors every K epochs, every N optimizer steps (2000steps) or every stretch of wall time (10m, "
                    + "90s; counted over all resumed parts of a run); 0 = only at the end. Steps and time need no epoch to end; each write "
                    + "is atomic, so a crash leaves the last one loadable."));

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
        return Cells.all().stream().map(c -> c.name()).toList();
    }

    private static CellType cell(Settings s) {
        return Cells.get(s.get(CELL));
    }

    /**
     * The settings a run trains with, from what it was given: s holds the defaults (the table's, a
     * command's, a preset's) with the typed values applied over them, and typed says which settings
     * were typed. Three steps, meant to be the same for train and a sweep's trial: a time limit is
     * how long the run trains, so epochs that were not typed do not end it sooner (they become
     * {@link #EPOCHS_UNDER_A_TIME_LIMIT}); a setting that does not apply is put back to its default
     * unless it was typed (a preset's forget bias given a GRU is dropped, a typed one is refused by the
     * checks); then the checks that involve more than one setting. Bad combinations are one
     * CharlmException naming the options. A sweep's trial, whose lists may pair a value with others
     * under which it does not apply, counts only --epochs as typed (if it was): its other values are
     * dropped where they do not apply, so such combinations make one trial.
     */
    public static Settings resolve(Settings s, Predicate<Setting<?>> typed) {
        if (s.get(TIME_LIMIT) != null && !typed.test(EPOCHS)) s = s.with(EPOCHS, EPOCHS_UNDER_A_TIME_LIMIT);
        return validate(withoutWhatDoesNotApply(s, typed));
    }

    /**
     * Checks that involve more than one setting; single values were checked when they were set. Besides
     * these, a value a declaration refuses where it does not apply ({@link Setting#refusal}).
     */
    public static Settings validate(Settings s) {
        if (!s.get(DETACH) && s.get(SAMPLING) != Sampling.SEQUENTIAL) {
            throw new CharlmException("--no-detach needs --sampling sequential: only then does one minibatch continue the last");
        }
        if (s.get(WORKERS) > 1) {
            if (!s.get(DETACH)) {
                throw new CharlmException("--no-detach cannot be used with --workers: a worker hands its state on at the end of each round, "
                        + "which only a detached state allows");
            }
            if (s.get(BATCH_SIZE) % s.get(WORKERS) != 0) {
                throw new CharlmException("--batch-size " + s.get(BATCH_SIZE) + " is the streams of all " + s.get(WORKERS) + " workers together; "
                        + "give a multiple of --workers");
            }
        }
        for (Setting<?> setting : TABLE) {
            String refused = setting.refusal(s);
            if (refused != null) throw new CharlmException(refused);
        }
        if (!s.get(DETACH) && s.get(CHECKPOINT_EVERY).insideEpochs()) {
            throw new CharlmException("--checkpoint-every " + s.get(CHECKPOINT_EVERY).format() + " falls inside epochs, and --no-detach can "
                    + "only be saved at an epoch's end; give a number of epochs (--checkpoint-every 1)");
        }
        if (s.get(VAL_FRACTION) == 0) {
            if (s.get(PATIENCE) > 0) throw new CharlmException("--patience needs a held-out split to watch; add --val-fraction F (e.g. 0.1)");
            if (s.get(EVAL_EVERY) > 0) throw new CharlmException("--eval-every needs a held-out split to score; add --val-fraction F (e.g. 0.1)");
            if (s.get(EVAL_TOKENS) > 0) throw new CharlmException("--eval-tokens samples the held-out split, and there is none; add --val-fraction F (e.g. 0.01)");
        }
        return s;
    }

    /**
     * Whether a setting changes anything under the others, as its declaration says (--embed-dim only with
     * an embedding input, --activation only with the plain RNN cell) and as the optimizers and schedules
     * registered say (--beta1 only under an optimizer that reads it). A sweep lists such a setting's
     * values only where they apply.
     */
    public static boolean applies(Setting<?> setting, Settings s) {
        return setting.appliesTo(s) && Optimizers.applies(setting, s) && Schedules.applies(setting, s);
    }

    /** s with every setting that does not apply put back to its default, so equal runs have equal settings. */
    public static Settings withoutWhatDoesNotApply(Settings s) {
        return withoutWhatDoesNotApply(s, setting -> false);
    }

    /** The same, keeping the settings kept says to (those typed on the command line: they are checked, not dropped). */
    public static Settings withoutWhatDoesNotApply(Settings s, Predicate<Setting<?>> kept) {
        Settings out = s;
        for (Setting<?> setting : TABLE) if (!kept.test(setting) && !applies(setting, s)) out = reset(out, setting);
        return out;
    }

    private static <T> Settings reset(Settings s, Setting<T> setting) {
        return s.with(setting, setting.defaultValue());
    }

    /** The model these settings describe, for a vocabulary of vocabSize tokens. */
    public static ModelConfig modelConfig(Settings s, int vocabSize) {
        return new ModelConfig(vocabSize, s.get(HIDDENS), s.get(ACTIVATION), s.get(INPUT), s.get(EMBED_DIM), Cells.get(s.get(CELL)),
                s.get(LAYERS));
    }

    /** settings with their model part made to describe model (cell, depth, sizes, input), for a checkpoint. */
    public static Settings describing(Settings settings, ModelConfig model) {
        Settings s = settings.with(CELL, model.cell().name()).with(LAYERS, model.layers()).with(HIDDENS, model.hiddens())
                .with(ACTIVATION, model.activation()).with(INPUT, model.input());
        return model.input() == InputKind.EMBEDDING ? s.with(EMBED_DIM, model.embedDim()) : s;
    }

    /** Sets the model's parameters as --init and --forget-bias say, drawing from rng. */
    public static void initialize(RnnModel model, Settings s, Rng rng) {
        model.initialize(rng, Initializers.get(s.get(INIT)));
        if (s.get(FORGET_BIAS) != 0) Initializers.setForgetBias(model.params, s.get(FORGET_BIAS));
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
