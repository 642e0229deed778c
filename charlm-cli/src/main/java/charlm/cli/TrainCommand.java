package charlm.cli;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.model.RnnModel;
import charlm.serve.TrainingFeed;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Evaluator;
import charlm.train.Evaluation;
import charlm.train.Progress;
import charlm.train.Trainer;
import charlm.train.TrainingListener;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
final class TrainCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.SINGLE);

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the run's files. Default: runs/<timestamp>.")
    Path out;

    @Option(names = "--force", description = "Write into --out even if it already holds files (files of the same name are replaced).")
    boolean force;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR from its last checkpoint, with its own settings, up to --epochs (default: the run's own); "
                    + "metrics.csv is continued. Only the Run settings may be given with it.")
    Path resume;

    @Option(names = "--serve", arity = "0..1", fallbackValue = "8080", paramLabel = "PORT",
            description = "Serve a live page on 127.0.0.1:PORT while training: the curves grow each epoch, with a sample after --prefix (0: any free port). Default port: ${FALLBACK-VALUE}.")
    Integer serve;

    @Spec
    CommandSpec spec;

    @Override
    public SettingOptions settingOptions() {
        return settingOptions;
    }

    @Override
    public Integer call() throws IOException {
        if (resume != null) return resume();
        Settings settings = settingOptions.resolve();
        Path outDir = out != null ? out : RunDirectory.defaultPath();
        if (Files.isDirectory(outDir) && !force) RunDirectory.checkWritable(outDir, false); // refuse early, before any work
        TrainingData data = TrainingData.load(settings, spec.commandLine().getOut()::println);
        data.checkMemory(settings);
        try (KernelsAndThreads engine = KernelsAndThreads.create(TrainingSettings.threads(settings))) {
            RnnModel model = new RnnModel(TrainingSettings.modelConfig(settings, data.vocab().size()), engine.kernels(), engine.workers());
            Rng rng = new Rng(settings.get(TrainingSettings.SEED));
            TrainingSettings.initialize(model, settings, rng);
            Trainer trainer = new Trainer(model, settings, data.train(), data.validation(), rng);
            trainer.countTimeFrom(Main.started());
            // The page first: a port in use is refused before the run's folder is made.
            try (TrainingFeed live = live(trainer, data, List.of(), List.of());
                 RunDirectory run = RunDirectory.prepare(outDir, force)) {
                Map<String, Object> config = config(data, engine, settings);
                if (settingOptions.preset() != null) config.put("preset", settingOptions.preset().name());
                run.writeConfig(Json.pretty(config));
                return train(data, engine, trainer, run, null, live);
            }
        } catch (IOException e) {
            throw new CharlmException("cannot write the run's files to " + outDir + " (" + e.getMessage() + "); choose another --out", e);
        }
    }

    /** Continues a run from its checkpoint: parameters, training state and settings. */
    private int resume() throws IOException {
        List<String> fixed = settingOptions.givenOptions(Setting.Scope.DATA);
        fixed.addAll(settingOptions.givenOptions(Setting.Scope.MODEL));
        fixed.addAll(settingOptions.givenOptions(Setting.Scope.TRAINING));
        if (out != null) fixed.add("--out");
        if (force) fixed.add("--force");
        if (settingOptions.preset() != null) fixed.add("--preset");
        if (!fixed.isEmpty()) {
            throw new CharlmException(fixed.get(0) + " cannot be changed when resuming: the run keeps its own settings (only the Run settings, "
                    + "such as --epochs, --threads, --prefix and --checkpoint-every, may be given)");
        }
        Path dir = resume;
        Path file = dir.resolve(RunDirectory.MODEL);
        if (!Files.isRegularFile(file)) {
            throw new CharlmException("--resume " + dir + " has no " + RunDirectory.MODEL + " to resume from; train with --checkpoint-every K to leave checkpoints");
        }
        // Loaded with one thread first: the settings inside decide the thread count of the run.
        Checkpoint.Loaded peek;
        try (KernelsAndThreads one = KernelsAndThreads.create(1)) {
            peek = Checkpoint.load(file, one.kernels(), one.workers());
        }
        if (peek.training() == null) {
            throw new CharlmException("checkpoint " + file + " holds no training state (epoch, generator); only runs of this charlm can be resumed");
        }
        Settings recorded = peek.settings();
        if (!settingOptions.given(TrainingSettings.THREADS)) recorded = recorded.with(TrainingSettings.THREADS, 0); // automatic again
        Settings settings = TrainingSettings.validate(settingOptions.given(recorded));
        int done = peek.training().epochsDone();
        if (settings.get(TrainingSettings.EPOCHS) <= done) {
            throw new CharlmException("the run in " + dir + " has already trained " + done + " epochs; give --epochs larger than " + done + " to continue it");
        }
        TrainingData data = TrainingData.load(settings);
        data.checkMemory(settings);
        if (!peek.vocab().tokens().equals(data.vocab().tokens())) {
            throw new CharlmException("the run's data " + data.file() + " has changed since it was trained (its vocabulary differs); it cannot be resumed");
        }
        try (KernelsAndThreads engine = KernelsAndThreads.create(TrainingSettings.threads(settings))) {
            Checkpoint.Loaded loaded = Checkpoint.load(file, engine.kernels(), engine.workers());
            Trainer trainer = new Trainer(loaded.model(), settings, data.train(), data.validation(), new Rng(0));
            trainer.restore(loaded.training());
            trainer.countTimeFrom(Main.started());
            try (RunDirectory run = RunDirectory.resume(dir, done, loaded.training().step());
                 TrainingFeed live = live(trainer, data, run.history(), run.evaluations())) {
                Map<String, Object> config = config(data, engine, settings);
                config.put("resumed_from_epoch", done);
                run.writeConfig(Json.pretty(config));
                return train(data, engine, trainer, run, done, live);
            }
        }
    }

    /** The live page of --serve, or null without it. */
    private TrainingFeed live(Trainer trainer, TrainingData data, List<EpochStats> before, List<Evaluation> scoresBefore) {
        if (serve == null) return null;
        Settings s = trainer.settings();
        return TrainingFeed.start(serve, trainer.model(), data.vocab(), s.get(TrainingSettings.TOKENIZER), before, scoresBefore,
                s.toJson());
    }

    private int train(TrainingData data, KernelsAndThreads engine, Trainer trainer, RunDirectory run, Integer resumedFrom, TrainingFeed live)
            throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        Settings settings = trainer.settings();
        Vocab vocab = data.vocab();
        RnnModel model = trainer.model();
        int epochs = settings.get(TrainingSettings.EPOCHS), checkpointEvery = settings.get(TrainingSettings.CHECKPOINT_EVERY);
        Predictor predictor = new Predictor(model, vocab, settings.get(TrainingSettings.TOKENIZER));
        String prefix = probePrefix(settings, predictor, data);
        w.printf("%s %s: %d tokens (%d held out), vocabulary %d, %s %s x%d, %s; writing to %s%n",
                resumedFrom == null ? "training on" : "resuming at epoch " + resumedFrom + " on", data.file(), data.train().length(),
                data.validation() == null ? 0 : data.validation().length(), vocab.size(), model.config.cell().name(),
                model.config.hiddens(), model.config.layers(), engine.describe(), run.dir);
        if (trainer.heldOutDescription() != null) w.println("held-out scoring: " + trainer.heldOutDescription());
        if (live != null) w.println("serving the live view at " + live.uri());
        ProgressLine progress = new ProgressLine(w, Boolean.getBoolean("charlm.terminal"));
        TrainingListener listener = new TrainingListener() {
            @Override
            public void onMinibatch(Progress p) {
                progress.update(p);
            }

            @Override
            public void onEvaluation(Evaluation e) {
                try {
                    if (e.best()) Checkpoint.save(run.file(RunDirectory.BEST), model, vocab, settings, null);
                    run.recordEvaluation(e);
                    if (live != null) live.evaluation(e);
                    if (settings.get(TrainingSettings.EVAL_EVERY) > 0 || e.epochs() != Math.rint(e.epochs())) {
                        progress.println(String.format(Locale.ROOT, "step %d (epoch %.2f): held-out perplexity %.3f (%.4f nats/char)%s",
                                e.step(), e.epochs(), e.valPerplexity(), Math.log(e.valPerplexity()), e.best() ? ", best so far" : ""));
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }

            @Override
            public void onEpoch(EpochStats s) {
                if (live != null) live.epoch(s, predictor.greedy(prefix, Predictor.PROBE_LENGTH));
                if (s.epoch() % 10 == 0) progress.println(predictor.greedy(prefix, 50));
                progress.println(line(s));
                try {
                    run.recordEpoch(s);
                    if (checkpointEvery > 0 && s.epoch() % checkpointEvery == 0 && s.epoch() < epochs) {
                        save(run, trainer, vocab);
                        writePlot(run);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        // Ctrl-C (or a kill's SIGTERM) asks the trainer to stop after the minibatch in progress and waits
        // while the checkpoint below is written; the JVM then exits with 128 + the signal (130 for SIGINT).
        CountDownLatch written = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            trainer.requestStop();
            try {
                written.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "charlm-stop");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            Trainer.Stop stop;
            try {
                stop = trainer.run(listener);
                progress.clear();
                if (stop != Trainer.Stop.INTERRUPTED && data.validation() != null && !trainer.scoredAtCurrentStep() && trainer.step() > 0) {
                    trainer.evaluateNow(listener); // stopped inside an epoch: score where it stopped
                }
                // While the JVM shuts down (Ctrl-C) the plot cannot be drawn; the resumed run draws it.
                if (stop != Trainer.Stop.INTERRUPTED) writePlot(run);
                if (trainer.canSaveState()) save(run, trainer, vocab);
            } catch (CharlmException e) {
                // Diverged: keep what the finished epochs showed; the last checkpoint stays as it was.
                progress.clear();
                writePlot(run);
                throw e;
            } catch (UncheckedIOException e) {
                throw cannotWrite(run, e.getCause());
            } catch (IOException e) {
                throw cannotWrite(run, e);
            }
            report(w, run, trainer, engine, stop);
            if (stop == Trainer.Stop.INTERRUPTED) {
                w.println((trainer.canSaveState() ? "interrupted; wrote a checkpoint at step " + trainer.step()
                        : "interrupted; without detaching only an epoch's end can be saved, so the last checkpoint stays as it was")
                        + "; continue with: charlm train --resume " + run.dir);
                w.flush();
                return 130;
            }
            w.println(predictor.greedy(prefix, 50));
            w.println(predictor.greedy("traveller", 50));
            w.println("wrote " + run.dir);
            w.flush();
            return 0;
        } finally {
            written.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it is what waits for us
            }
        }
    }

    /** A write that failed (a full disk): the files already there are whole, since every write is atomic. */
    private static CharlmException cannotWrite(RunDirectory run, IOException e) {
        String next = Files.isRegularFile(run.file(RunDirectory.MODEL)) ? "continue with: charlm train --resume " + run.dir : "train again";
        return new CharlmException("cannot write to " + run.dir + " (" + e.getMessage() + "); the files already there are intact: free some "
                + "space or fix the folder, then " + next, e);
    }

    /**
     * The prefix of the printed predictions. One given with --prefix must read in the model's vocabulary
     * (as generate requires); the default, the book's "time traveller", falls back on the text's own
     * first characters where it does not (a text in another alphabet).
     */
    private String probePrefix(Settings settings, Predictor predictor, TrainingData data) {
        String prefix = settings.get(TrainingSettings.PREFIX);
        List<String> unseen = predictor.unseen(prefix);
        boolean empty = settings.get(TrainingSettings.TOKENIZER).normalizePrompt(prefix).isEmpty();
        if (unseen.isEmpty() && !empty) return prefix;
        if (settingOptions.given(TrainingSettings.PREFIX)) {
            throw new CharlmException("--prefix " + Vocab.shown(prefix) + (empty ? " has nothing the model reads" : " has characters the text never has: "
                    + String.join(", ", unseen.stream().map(Vocab::shown).toList())) + "; give a prefix written in the text's characters");
        }
        return data.vocab().decode(data.train().first(12).toArray(), 0, (int) Math.min(12, data.train().length()));
    }

    /** The run's summary lines: why it stopped, the last epoch's perplexity and speed, the held-out scores. */
    private static void report(PrintWriter w, RunDirectory run, Trainer trainer, KernelsAndThreads engine, Trainer.Stop stop) {
        switch (stop) {
            case MAX_STEPS -> w.println("stopped at --max-steps, step " + trainer.step());
            case TIME_LIMIT -> w.println("stopped at --time-limit, step " + trainer.step());
            case PATIENCE -> w.println("stopped early: no better held-out score in the last --patience evaluations");
            default -> { }
        }
        if (!run.history().isEmpty()) {
            EpochStats last = run.history().get(run.history().size() - 1);
            w.printf(Locale.ROOT, "perplexity %s, %.1f tokens/s (median of %d epochs), %s%n", perplexity(last.perplexity()),
                    medianSpeed(run), run.history().size(), engine.describe());
        }
        List<Evaluation> scores = run.evaluations();
        if (!scores.isEmpty()) {
            Evaluation last = scores.get(scores.size() - 1);
            Evaluation best = scores.stream().min(java.util.Comparator.comparingDouble(Evaluation::valPerplexity)).orElseThrow();
            w.printf(Locale.ROOT, "validation perplexity %.3f, %.4f nats/char (best %.3f, %.4f nats/char, at step %d, epoch %.2f)%n",
                    last.valPerplexity(), Math.log(last.valPerplexity()), best.valPerplexity(), Math.log(best.valPerplexity()), best.step(),
                    best.epochs());
        } else if (!run.history().isEmpty() && run.history().get(0).hasValidation()) {
            EpochStats last = run.history().get(run.history().size() - 1), best = run.bestValidation();
            w.printf(Locale.ROOT, "validation perplexity %s (best %s at epoch %d)%n", perplexity(last.valPerplexity()), perplexity(best.valPerplexity()),
                    best.epoch());
        }
    }

    /** The checkpoint: parameters plus everything a resumed run needs to continue bit for bit. */
    private static void save(RunDirectory run, Trainer trainer, Vocab vocab) throws IOException {
        Checkpoint.save(run.file(RunDirectory.MODEL), trainer.model(), vocab, trainer.settings(), trainer.state());
    }

    static String line(EpochStats s) {
        String val = s.hasValidation() ? ", validation " + perplexity(s.valPerplexity()) : "";
        return String.format(Locale.ROOT, "epoch %d: perplexity %s%s, %.1f tokens/s", s.epoch(), perplexity(s.perplexity()), val, s.tokensPerSec());
    }

    /** Two decimals, as the chapter prints it; a run on its way to diverging gets 3.65e+28, not thirty digits. */
    static String perplexity(double p) {
        return String.format(Locale.ROOT, p < 1e6 ? "%.2f" : "%.3g", p);
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
        if (run.history().isEmpty() && run.evaluations().isEmpty()) return;
        var problem = PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), run.evaluations(), "charlm: perplexity by epoch");
        if (problem.isPresent() && !plotWarned) {
            spec.commandLine().getErr().println("charlm: " + problem.get());
            plotWarned = true;
        }
    }

    private boolean plotWarned;

    /** config.json: every setting, what the data turned out to be, and what ran it. */
    static Map<String, Object> config(TrainingData data, KernelsAndThreads engine, Settings settings) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("command", "train");
        c.put("data_file", data.file().toAbsolutePath().toString());
        c.put("corpus_tokens", data.tokens().length());
        c.put("train_tokens", data.train().length());
        c.put("val_tokens", data.validation() == null ? 0 : data.validation().length());
        if (data.validation() != null) {
            c.put("val_scored", Evaluator.plan(data.validation().length(), settings.get(TrainingSettings.EVAL_TOKENS), settings.get(TrainingSettings.SEED))
                    .description());
        }
        c.put("vocab_size", data.vocab().size());
        c.put("settings", settings.toJson());
        c.put("kernels", engine.kernels().name());
        c.put("threads_used", engine.workers().parts());
        c.put("jdk", Runtime.version().toString());
        c.put("java_vendor", System.getProperty("java.vendor"));
        c.put("started", OffsetDateTime.now().toString());
        return c;
    }
}
