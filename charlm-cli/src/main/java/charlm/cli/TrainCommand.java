package charlm.cli;

import charlm.CharlmException;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.io.Json;
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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code charlm train}: the chapter's training run, with its printout, CSV, plot and checkpoint. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the chapter's RNN (defaults: the book's settings on The Time Machine) and print what the chapter prints:",
                "each epoch's perplexity and tokens/s, a prediction after the probe prefix every 10 epochs, and final predictions.",
                "Writes config.json, metrics.csv, perplexity.png and model.safetensors to --out."})
final class TrainCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions options;

    @Option(names = "--epochs", defaultValue = "500", paramLabel = "N", description = "Epochs to train. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the run's files. Default: runs/<timestamp>.")
    Path out;

    @Option(names = "--force", description = "Write into --out even if it already holds files (files of the same name are replaced).")
    boolean force;

    @Option(names = "--prefix", defaultValue = "time traveller", paramLabel = "TEXT",
            description = "Prefix of the predictions printed during and after training. Default: ${DEFAULT-VALUE}.")
    String prefix;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        options.validate(epochs);
        if (prefix.isEmpty()) throw new CharlmException("--prefix is empty; give at least one character");
        Path outDir = out != null ? out : RunDirectory.defaultPath();
        if (Files.isDirectory(outDir) && !force) RunDirectory.prepare(outDir, false); // refuse early, before any work
        TrainingOptions.Split data = options.load();
        Engine engine = Engine.create(options.threads());
        try {
            return train(data, engine, outDir);
        } catch (IOException e) {
            throw new CharlmException("cannot write the run's files to " + outDir + " (" + e.getMessage() + "); choose another --out", e);
        } finally {
            engine.workers().close();
        }
    }

    private int train(TrainingOptions.Split data, Engine engine, Path outDir) throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        var vocab = data.corpus().vocab();
        TrainingOptions.Session session = options.start(data, engine, epochs);
        RnnModel model = session.model();
        Trainer trainer = session.trainer();
        RunDirectory run = RunDirectory.prepare(outDir, force);
        Map<String, Object> settings = options.settings(epochs);
        run.writeConfig(Json.pretty(config(data, engine, settings)));
        Predictor predictor = new Predictor(model, vocab, options.tokenizer());
        w.printf("training on %s: %d tokens (%d held out), vocabulary %d, %s; writing to %s%n", data.file(), data.train().length,
                data.validation() == null ? 0 : data.validation().length, vocab.size(), engine.describe(), run.dir);
        TrainingListener progress = s -> {
            if (s.epoch() % 10 == 0) w.println(predictor.greedy(prefix, 50));
            w.println(line(s));
            try {
                run.recordEpoch(s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        try {
            trainer.run(progress);
        } catch (CharlmException e) {
            // Diverged: keep what the finished epochs showed; no checkpoint of broken weights is written.
            writePlot(run);
            throw e;
        } catch (UncheckedIOException e) {
            throw new CharlmException("cannot write to " + run.dir + ": " + e.getCause().getMessage(), e);
        }
        writePlot(run);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("settings", Json.write(settings));
        meta.put("epoch", Integer.toString(trainer.epochsDone()));
        Checkpoint.save(run.file(RunDirectory.MODEL), model, vocab, options.tokenizer(), meta);
        EpochStats last = run.history().get(run.history().size() - 1);
        w.printf(Locale.ROOT, "perplexity %.1f, %.1f tokens/s (median of %d epochs), %s%n", last.perplexity(),
                medianSpeed(run), run.history().size(), engine.describe());
        if (last.hasValidation()) w.printf(Locale.ROOT, "validation perplexity %.2f%n", last.valPerplexity());
        w.println(predictor.greedy(prefix, 50));
        w.println(predictor.greedy("traveller", 50));
        w.println("wrote " + run.dir);
        return 0;
    }

    static String line(EpochStats s) {
        String val = s.hasValidation() ? String.format(Locale.ROOT, ", validation %.2f", s.valPerplexity()) : "";
        return String.format(Locale.ROOT, "epoch %d: perplexity %.2f%s, %.1f tokens/s", s.epoch(), s.perplexity(), val, s.tokensPerSec());
    }

    static double medianSpeed(RunDirectory run) {
        double[] v = run.history().stream().mapToDouble(EpochStats::tokensPerSec).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void writePlot(RunDirectory run) throws IOException {
        if (!run.history().isEmpty()) PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), "charlm: perplexity by epoch");
    }

    private Map<String, Object> config(TrainingOptions.Split data, Engine engine, Map<String, Object> settings) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("command", "train");
        c.put("data", data.file().toAbsolutePath().toString());
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
