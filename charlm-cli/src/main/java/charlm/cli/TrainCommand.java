package charlm.cli;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.io.Safetensors;
import charlm.model.RnnModel;
import charlm.train.EpochStats;
import charlm.train.Trainer;
import charlm.train.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code charlm train}: the chapter's training run, with its printout, CSV, plot and checkpoints;
 * {@code --resume} continues a run in place, bit for bit as if it had never stopped.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model (defaults: the chapter's RNN with the book's settings on The Time Machine).",
                "Prints each epoch's perplexity and tokens/s, a prediction after the probe prefix every 10 epochs, and final predictions.",
                "Writes config.json, metrics.csv, perplexity.png and model.safetensors to --out."})
final class TrainCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions options;

    @Option(names = "--epochs", defaultValue = "500", paramLabel = "N",
            description = "Epochs to train (with --resume: the total to reach; default there: the run's own). Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the run's files. Default: runs/<timestamp>.")
    Path out;

    @Option(names = "--force", description = "Write into --out even if it already holds files (files of the same name are replaced).")
    boolean force;

    @Option(names = "--prefix", defaultValue = "time traveller", paramLabel = "TEXT",
            description = "Prefix of the predictions printed during and after training. Default: ${DEFAULT-VALUE}.")
    String prefix;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "K",
            description = "Also write model.safetensors every K epochs (0 = only at the end); each write is atomic, so a crash leaves the last one loadable. Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR from its last checkpoint, with its own settings, up to --epochs (default: the run's own); metrics.csv is continued.")
    Path resume;

    @Spec
    CommandSpec spec;

    /** What --resume may be combined with: everything else comes from the run. */
    private static final Set<String> RESUME_OPTIONS = Set.of("--resume", "--epochs", "--threads", "--prefix");

    @Override
    public Integer call() throws IOException {
        if (prefix.isEmpty()) throw new CharlmException("--prefix is empty; give at least one character");
        if (checkpointEvery < 0) throw new CharlmException("--checkpoint-every must be 0 (only at the end) or positive, got " + checkpointEvery);
        if (resume != null) return resume();
        options.validate(epochs);
        Path outDir = out != null ? out : RunDirectory.defaultPath();
        if (Files.isDirectory(outDir) && !force) RunDirectory.prepare(outDir, false); // refuse early, before any work
        TrainingOptions.Split data = options.load();
        Engine engine = Engine.create(options.threads());
        try {
            TrainingOptions.Session session = options.start(data, engine, epochs);
            RunDirectory run = RunDirectory.prepare(outDir, force);
            run.writeConfig(Json.pretty(config(data, engine, settings(data))));
            return train(data, engine, session, run, null);
        } catch (IOException e) {
            throw new CharlmException("cannot write the run's files to " + outDir + " (" + e.getMessage() + "); choose another --out", e);
        } finally {
            engine.workers().close();
        }
    }

    private Map<String, Object> settings(TrainingOptions.Split data) {
        Map<String, Object> s = options.settings(epochs);
        s.put("checkpoint_every", checkpointEvery);
        s.put("data", data.file().toAbsolutePath().toString());
        return s;
    }

    /** Continues a run from its checkpoint: parameters, epoch, generator state and settings. */
    private int resume() throws IOException {
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!RESUME_OPTIONS.contains(o.longestName())) {
                throw new CharlmException(o.longestName() + " cannot be changed when resuming: the run keeps its own settings (only --epochs, --threads and --prefix may be given)");
            }
        }
        Path dir = resume;
        Path file = dir.resolve(RunDirectory.MODEL);
        if (!Files.isRegularFile(file)) {
            throw new CharlmException("--resume " + dir + " has no " + RunDirectory.MODEL + " to resume from; train with --checkpoint-every K to leave checkpoints");
        }
        // Read once: the settings in its metadata decide the thread count the model is built with.
        Safetensors.Contents contents = Safetensors.read(file);
        Map<String, String> meta = contents.metadata();
        String where = "checkpoint " + file;
        if (!meta.containsKey("epoch") || !meta.containsKey("rng_state") || !meta.containsKey("settings")) {
            throw new CharlmException(where + " holds no training state (epoch, generator, settings); only runs of this charlm can be resumed");
        }
        Map<?, ?> settings = (Map<?, ?>) Json.parse(meta.get("settings"));
        options = TrainingOptions.fromSettings(settings, Path.of(String.valueOf(settings.get("data"))));
        if (spec.commandLine().getParseResult().hasMatchedOption("--threads")) {
            options.threads = spec.commandLine().getParseResult().matchedOptionValue("--threads", 0);
        }
        checkpointEvery = settings.get("checkpoint_every") instanceof Number n ? n.intValue() : 0;
        int done = Integer.parseInt(meta.get("epoch"));
        if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) epochs = ((Number) settings.get("epochs")).intValue();
        if (epochs <= done) {
            throw new CharlmException("the run in " + dir + " has already trained " + done + " epochs; give --epochs larger than " + done + " to continue it");
        }
        options.validate(epochs);
        TrainingOptions.Split data = options.load();
        Engine engine = Engine.create(options.threads());
        try {
            Checkpoint.Loaded loaded = Checkpoint.load(contents, file, engine.kernels(), engine.workers());
            if (!loaded.vocab().tokens().equals(data.corpus().vocab().tokens())) {
                throw new CharlmException("the run's data " + data.file() + " has changed since it was trained (its vocabulary differs); it cannot be resumed");
            }
            Rng rng = new Rng(0);
            rng.setState(decodeRng(meta.get("rng_state"), where));
            Trainer trainer = new Trainer(loaded.model(), options.trainConfig(epochs), data.train(), data.validation(), rng);
            trainer.setEpochsDone(done);
            RunDirectory run = RunDirectory.resume(dir, done);
            Map<String, Object> config = config(data, engine, settings(data));
            config.put("resumed_from_epoch", done);
            run.writeConfig(Json.pretty(config));
            return train(data, engine, new TrainingOptions.Session(loaded.model(), trainer), run, done);
        } finally {
            engine.workers().close();
        }
    }

    private int train(TrainingOptions.Split data, Engine engine, TrainingOptions.Session session, RunDirectory run, Integer resumedFrom)
            throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        Vocab vocab = data.corpus().vocab();
        RnnModel model = session.model();
        Trainer trainer = session.trainer();
        Predictor predictor = new Predictor(model, vocab, options.tokenizer());
        w.printf("%s %s: %d tokens (%d held out), vocabulary %d, %s %s x%d, %s; writing to %s%n",
                resumedFrom == null ? "training on" : "resuming at epoch " + resumedFrom + " on", data.file(), data.train().length,
                data.validation() == null ? 0 : data.validation().length, vocab.size(), model.config.cell().name(),
                model.config.hiddens(), model.config.layers(), engine.describe(), run.dir);
        Map<String, Object> settings = settings(data);
        TrainingListener progress = s -> {
            if (s.epoch() % 10 == 0) w.println(predictor.greedy(prefix, 50));
            w.println(line(s));
            try {
                run.recordEpoch(s);
                if (checkpointEvery > 0 && s.epoch() % checkpointEvery == 0 && s.epoch() < epochs) {
                    save(run, model, vocab, settings, trainer);
                    writePlot(run);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        try {
            trainer.run(progress);
        } catch (CharlmException e) {
            // Diverged: keep what the finished epochs showed; the last checkpoint stays as it was.
            writePlot(run);
            throw e;
        } catch (UncheckedIOException e) {
            throw new CharlmException("cannot write to " + run.dir + ": " + e.getCause().getMessage(), e);
        }
        writePlot(run);
        save(run, model, vocab, settings, trainer);
        EpochStats last = run.history().get(run.history().size() - 1);
        w.printf(Locale.ROOT, "perplexity %.2f, %.1f tokens/s (median of %d epochs), %s%n", last.perplexity(),
                medianSpeed(run), run.history().size(), engine.describe());
        if (last.hasValidation()) {
            EpochStats best = run.bestValidation();
            w.printf(Locale.ROOT, "validation perplexity %.2f (best %.2f at epoch %d)%n", last.valPerplexity(), best.valPerplexity(), best.epoch());
        }
        w.println(predictor.greedy(prefix, 50));
        w.println(predictor.greedy("traveller", 50));
        w.println("wrote " + run.dir);
        return 0;
    }

    /** The checkpoint: parameters plus everything a resumed run needs to continue bit for bit. */
    private void save(RunDirectory run, RnnModel model, Vocab vocab, Map<String, Object> settings, Trainer trainer) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("settings", Json.write(settings));
        meta.put("epoch", Integer.toString(trainer.epochsDone()));
        meta.put("rng_state", encodeRng(trainer.rng().state()));
        Checkpoint.save(run.file(RunDirectory.MODEL), model, vocab, options.tokenizer(), meta);
    }

    /** The generator's four longs as hex (JSON numbers would lose bits). */
    static String encodeRng(long[] state) {
        StringBuilder b = new StringBuilder();
        for (long s : state) b.append(b.length() == 0 ? "" : ",").append(HexFormat.of().toHexDigits(s));
        return b.toString();
    }

    static long[] decodeRng(String text, String where) {
        String[] parts = text.split(",");
        if (parts.length != 4) throw new CharlmException(where + " has a damaged rng_state; it cannot be resumed");
        long[] s = new long[4];
        try {
            for (int i = 0; i < 4; i++) s[i] = Long.parseUnsignedLong(parts[i], 16);
        } catch (NumberFormatException e) {
            throw new CharlmException(where + " has a damaged rng_state; it cannot be resumed");
        }
        return s;
    }

    static String line(EpochStats s) {
        String val = s.hasValidation() ? String.format(Locale.ROOT, ", validation %.2f", s.valPerplexity()) : "";
        return String.format(Locale.ROOT, "epoch %d: perplexity %.2f%s, %.1f tokens/s", s.epoch(), s.perplexity(), val, s.tokensPerSec());
    }

    static double medianSpeed(RunDirectory run) {
        return median(run.history().stream().mapToDouble(EpochStats::tokensPerSec).toArray());
    }

    /** The median of values (not empty): the middle one, or the mean of the middle two. */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private void writePlot(RunDirectory run) throws IOException {
        if (run.history().isEmpty()) return;
        if (!PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), "charlm: perplexity by epoch") && !plotWarned) {
            spec.commandLine().getErr().println("charlm: " + PerplexityPlot.NO_FONTS);
            plotWarned = true;
        }
    }

    private boolean plotWarned;

    private Map<String, Object> config(TrainingOptions.Split data, Engine engine, Map<String, Object> settings) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("command", "train");
        c.put("corpus_tokens", data.corpus().size());
        c.put("train_tokens", data.train().length);
        c.put("val_tokens", data.validation() == null ? 0 : data.validation().length);
        c.put("vocab_size", data.corpus().vocab().size());
        c.putAll(settings);
        c.put("prefix", prefix);
        c.put("kernels", engine.kernels().name());
        c.put("jdk", Runtime.version().toString());
        c.put("java_vendor", System.getProperty("java.vendor"));
        c.put("started", OffsetDateTime.now().toString());
        return c;
    }
}
