package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.model.Activation;
import charlm.model.CellType;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.train.Sampling;
import charlm.train.TrainConfig;
import charlm.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options train and bench share: data, model and training settings. Defaults are the book's. */
final class TrainingOptions {

    @Option(names = "--data", paramLabel = "FILE",
            description = "Text file to train on. Default: The Time Machine, downloaded once from the book's URL and cached under $CHARLM_HOME (default ~/.cache/charlm).")
    Path data;

    @Option(names = "--max-tokens", defaultValue = "10000", paramLabel = "N",
            description = "Use the first N tokens, as the book does (0 = all). Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--tokenizer", defaultValue = "letters", paramLabel = "letters|chars",
            description = "letters: the book's cleaning (a-z and space); chars: every Unicode character of the text. Default: ${DEFAULT-VALUE}.")
    String tokenizer;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "B", description = "Minibatch size. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--num-steps", defaultValue = "35", paramLabel = "T", description = "Time steps per minibatch. Default: ${DEFAULT-VALUE}.")
    int numSteps;

    @Option(names = "--hiddens", defaultValue = "512", paramLabel = "H", description = "Hidden units. Default: ${DEFAULT-VALUE}.")
    int hiddens;

    @Option(names = "--lr", defaultValue = "1", paramLabel = "RATE", description = "SGD learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--clip", defaultValue = "1", paramLabel = "THETA|none",
            description = "Clip the global gradient norm to THETA, or 'none' for no clipping. Default: ${DEFAULT-VALUE}.")
    String clip;

    @Option(names = "--sampling", defaultValue = "sequential", paramLabel = "sequential|random",
            description = "sequential: partitioning with the state carried (and detached) across minibatches; random: random sampling with a fresh state per minibatch. Default: ${DEFAULT-VALUE}.")
    String sampling;

    @Option(names = "--book-random",
            description = "Reproduce the book's 'random' run: a fresh state per minibatch, but on the sequential iterator (the book never switched its iterator to random sampling).")
    boolean bookRandom;

    @Option(names = "--no-detach",
            description = "With sequential sampling, let gradients flow back across minibatch boundaries through the whole epoch (true BPTT over the epoch; slower).")
    boolean noDetach;

    @Option(names = "--cell", defaultValue = "rnn", paramLabel = "rnn|gru|lstm",
            description = "Recurrent cell: the chapter's RNN, or the book's GRU or LSTM (from scratch). Default: ${DEFAULT-VALUE}.")
    String cell;

    @Option(names = "--layers", defaultValue = "1", paramLabel = "N", description = "Stacked recurrent layers. Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--activation", defaultValue = "tanh", paramLabel = "tanh|relu", description = "Activation of the RNN cell. Default: ${DEFAULT-VALUE}.")
    String activation;

    @Option(names = "--input", defaultValue = "onehot", paramLabel = "onehot|embedding",
            description = "One-hot inputs (the chapter) or a learned embedding table. Default: ${DEFAULT-VALUE}.")
    String input;

    @Option(names = "--embed-dim", defaultValue = "32", paramLabel = "E", description = "Embedding size with --input embedding. Default: ${DEFAULT-VALUE}.")
    int embedDim;

    @Option(names = "--val-fraction", defaultValue = "0", paramLabel = "F",
            description = "Hold out the last fraction F of the token stream; its perplexity is reported each epoch. Default: ${DEFAULT-VALUE}.")
    double valFraction;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the run's random generator. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Worker threads; 0 = automatic (all cores from 128 hidden units on, else 1). Results do not depend on it. Default: ${DEFAULT-VALUE}.")
    int threads;

    Tokenizer tokenizer() {
        return choose("--tokenizer", tokenizer, Tokenizer.values(), Tokenizer::cliName);
    }

    Sampling sampling() {
        Sampling s = choose("--sampling", sampling, new Sampling[] {Sampling.SEQUENTIAL, Sampling.RANDOM}, Sampling::cliName);
        if (bookRandom) {
            if (s != Sampling.SEQUENTIAL) throw new CharlmException("--book-random already means the sequential iterator; drop --sampling random");
            return Sampling.BOOK_RANDOM;
        }
        return s;
    }

    double clipValue() {
        if (clip.equalsIgnoreCase("none")) return Double.POSITIVE_INFINITY;
        try {
            double v = Double.parseDouble(clip);
            if (!(v > 0) || Double.isInfinite(v)) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new CharlmException("--clip must be a positive number or 'none', got '" + clip + "'");
        }
    }

    TrainConfig trainConfig(int epochs) {
        return new TrainConfig(batchSize, numSteps, epochs, lr, clipValue(), sampling(), !noDetach, seed);
    }

    ModelConfig modelConfig(int vocabSize) {
        if (hiddens <= 0) throw new CharlmException("--hiddens must be a positive whole number, got " + hiddens);
        InputKind in = choose("--input", input, InputKind.values(), InputKind::cliName);
        if (in == InputKind.EMBEDDING && embedDim <= 0) throw new CharlmException("--embed-dim must be a positive whole number, got " + embedDim);
        if (layers <= 0) throw new CharlmException("--layers must be a positive whole number, got " + layers);
        CellType c = choose("--cell", cell, Cells.all().toArray(new CellType[0]), CellType::name);
        Activation act = choose("--activation", activation, Activation.values(), Activation::cliName);
        if (!c.usesActivation() && act != Activation.TANH) throw new CharlmException("--activation applies to --cell rnn only; GRU and LSTM have their own");
        return new ModelConfig(vocabSize, hiddens, act, in, embedDim, c, layers);
    }

    int threads() {
        if (threads < 0) throw new CharlmException("--threads must be 0 (automatic) or positive, got " + threads);
        if (threads > 0) return threads;
        // Splitting a step over the hidden units pays once a step has real work: from H = 128 on
        // (measured: B = 2, H = 512 runs 1.5-1.6x faster on two threads than on one, JDK 17 and 25).
        return hiddens >= 128 ? Runtime.getRuntime().availableProcessors() : 1;
    }

    /** Checks every setting before anything is read or written, so bad input fails fast. */
    void validate(int epochs) {
        trainConfig(epochs);
        modelConfig(1);
        tokenizer();
        threads();
        if (maxTokens < 0) throw new CharlmException("--max-tokens must be 0 (all) or positive, got " + maxTokens);
        if (!(valFraction >= 0 && valFraction < 1)) throw new CharlmException("--val-fraction must be in [0, 1), got " + valFraction);
    }

    Path dataFile() {
        return BookSource.timeMachine().resolve(data);
    }

    /** The corpus, split into training and held-out streams. */
    Split load() {
        Path file = dataFile();
        return split(file, Corpus.load(file, tokenizer(), maxTokens));
    }

    Split split(Path file, Corpus corpus) {
        int[] all = corpus.tokens();
        if (valFraction == 0) return new Split(file, corpus, all, null);
        int val = (int) Math.round(all.length * valFraction);
        if (val < 2) throw new CharlmException("--val-fraction " + valFraction + " of " + all.length + " tokens holds out fewer than 2; use a larger fraction or more text");
        return new Split(file, corpus, Arrays.copyOf(all, all.length - val), Arrays.copyOfRange(all, all.length - val, all.length));
    }

    record Split(Path file, Corpus corpus, int[] train, int[] validation) {
    }

    /** A freshly initialised model (seeded) and its trainer, ready to run. */
    record Session(RnnModel model, Trainer trainer) {
    }

    Session start(Split data, Engine engine, int epochs) {
        RnnModel model = new RnnModel(modelConfig(data.corpus().vocab().size()), engine.kernels(), engine.workers());
        Rng rng = new Rng(seed);
        model.initialize(rng);
        return new Session(model, new Trainer(model, trainConfig(epochs), data.train(), data.validation(), rng));
    }

    /** Every setting, for config.json and checkpoint metadata. */
    Map<String, Object> settings(int epochs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_tokens", maxTokens);
        m.put("tokenizer", tokenizer().cliName());
        m.put("batch_size", batchSize);
        m.put("num_steps", numSteps);
        m.put("hiddens", hiddens);
        m.put("epochs", epochs);
        m.put("lr", lr);
        m.put("clip", clip.equalsIgnoreCase("none") ? "none" : (Object) clipValue());
        m.put("sampling", sampling().cliName());
        m.put("detach", !noDetach);
        m.put("cell", cell);
        m.put("layers", layers);
        m.put("activation", activation);
        m.put("input", input);
        if (input.equalsIgnoreCase("embedding")) m.put("embed_dim", embedDim);
        m.put("val_fraction", valFraction);
        m.put("seed", seed);
        m.put("threads", threads());
        return m;
    }

    /** The options a run recorded in its settings (see {@link #settings}), for --resume. */
    static TrainingOptions fromSettings(Map<?, ?> s, Path data) {
        TrainingOptions o = new TrainingOptions();
        try {
            o.data = data;
            o.maxTokens = ((Number) s.get("max_tokens")).intValue();
            o.tokenizer = (String) s.get("tokenizer");
            o.batchSize = ((Number) s.get("batch_size")).intValue();
            o.numSteps = ((Number) s.get("num_steps")).intValue();
            o.hiddens = ((Number) s.get("hiddens")).intValue();
            o.lr = ((Number) s.get("lr")).doubleValue();
            o.clip = String.valueOf(s.get("clip"));
            String sampling = (String) s.get("sampling");
            o.bookRandom = sampling.equals(Sampling.BOOK_RANDOM.cliName());
            o.sampling = o.bookRandom ? Sampling.SEQUENTIAL.cliName() : sampling;
            o.noDetach = !(Boolean) s.get("detach");
            o.cell = (String) s.get("cell");
            o.layers = ((Number) s.get("layers")).intValue();
            o.activation = (String) s.get("activation");
            o.input = (String) s.get("input");
            o.embedDim = s.get("embed_dim") instanceof Number n ? n.intValue() : 32;
            o.valFraction = ((Number) s.get("val_fraction")).doubleValue();
            o.seed = ((Number) s.get("seed")).longValue();
            o.threads = 0;
        } catch (RuntimeException e) {
            throw new CharlmException("the run's recorded settings are incomplete or damaged (" + e + "); it cannot be resumed");
        }
        return o;
    }

    static <E> E choose(String option, String value, E[] values, java.util.function.Function<E, String> name) {
        for (E e : values) if (name.apply(e).equalsIgnoreCase(value)) return e;
        StringBuilder b = new StringBuilder();
        for (E e : values) b.append(b.length() == 0 ? "" : ", ").append(name.apply(e));
        throw new CharlmException(option + " must be one of " + b + ", got '" + value + "'");
    }
}
