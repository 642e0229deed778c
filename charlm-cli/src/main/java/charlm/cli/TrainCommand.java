package charlm.cli;

import charlm.CharlmException;
import charlm.data.TokenSequence;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.model.RnnModel;
import charlm.run.KernelsAndThreads;
import charlm.run.RunDirectory;
import charlm.run.TrainingCluster;
import charlm.run.TrainingData;
import charlm.run.TrainingRun;
import charlm.serve.TrainingFeed;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.settings.ValueType;
import charlm.train.EpochStats;
import charlm.train.Evaluator;
import charlm.train.Evaluation;
import charlm.train.LocalSgd;
import charlm.train.Progress;
import charlm.train.Trainer;
import charlm.train.TrainingListener;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
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

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run the --workers on Spark (local[N], local-cluster[W,C,M], spark://HOST:PORT, yarn, k8s://URL): each round is a "
                    + "stage of one task per worker. Needs charlm-spark on the class path (./charlm adds it).")
    String spark;

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
        try (KernelsAndThreads compute = KernelsAndThreads.create(TrainingSettings.threads(settings));
             LocalSgd.Engine rounds = rounds(settings, data, compute)) {
            TrainingRun run = TrainingRun.start(settings, data, compute, rounds);
            if (settingOptions.preset() != null) run.note("preset", settingOptions.preset().name());
            run.trainer().countTimeFrom(Main.started());
            // The page first: a port in use is refused before the run's folder is made.
            try (TrainingFeed live = live(run, List.of(), List.of());
                 RunDirectory dir = RunDirectory.prepare(outDir, force)) {
                return train(run, dir, live, rounds);
            }
        } catch (IOException e) {
            throw new CharlmException("cannot write the run's files to " + outDir + " (" + e.getMessage() + "); choose another --out", e);
        }
    }

    /**
     * Where the workers of --workers N run: on the --spark cluster, else in this process; null for one
     * process. Refused before anything is written: --spark without workers, a master Spark cannot reach.
     */
    private LocalSgd.Engine rounds(Settings settings, TrainingData data, KernelsAndThreads compute) {
        int workers = settings.get(TrainingSettings.WORKERS);
        if (workers == 1) {
            if (spark != null) throw new CharlmException("--spark trains one model with several workers: add --workers N (2 or more)");
            return null;
        }
        LocalSgd.Job job = TrainingRun.job(settings, data);
        if (spark == null) return LocalSgd.inProcess(job, compute.kernels(), compute.workers());
        Iterator<TrainingCluster> found = ServiceLoader.load(TrainingCluster.class).iterator();
        if (!found.hasNext()) {
            throw new CharlmException("--spark needs charlm-spark and Spark on the class path: run ./charlm train ... --spark MASTER (the launcher "
                    + "adds them), or spark-submit --class charlm.cli.Main charlm-spark.jar train ...");
        }
        return found.next().connect(spark, job);
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
        TrainingData data = TrainingData.load(settings, spec.commandLine().getOut()::println); // the cache's lines, as a first run prints them
        data.checkMemory(settings);
        try (KernelsAndThreads compute = KernelsAndThreads.create(TrainingSettings.threads(settings));
             LocalSgd.Engine rounds = rounds(settings, data, compute)) {
            TrainingRun run = TrainingRun.resume(file, settings, data, compute, rounds);
            run.trainer().countTimeFrom(Main.started());
            try (RunDirectory folder = RunDirectory.resume(dir, done, run.trainer().step());
                 TrainingFeed live = live(run, folder.history(), folder.evaluations())) {
                return train(run, folder, live, rounds);
            }
        }
    }

    /** The live page of --serve, or null without it. */
    private TrainingFeed live(TrainingRun run, List<EpochStats> before, List<Evaluation> scoresBefore) {
        if (serve == null) return null;
        Settings s = run.trainer().settings();
        return TrainingFeed.start(serve, run.trainer().model(), run.data().vocab(), s.get(TrainingSettings.TOKENIZER), before,
                scoresBefore, s.toJson());
    }

    /** The run into its folder, with the printout: the progress line, each epoch, the held-out scores, predictions, a summary. */
    private int train(TrainingRun run, RunDirectory dir, TrainingFeed live, LocalSgd.Engine rounds) throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        Trainer trainer = run.trainer();
        TrainingData data = run.data();
        KernelsAndThreads compute = run.compute();
        Settings settings = trainer.settings();
        Vocab vocab = data.vocab();
        RnnModel model = trainer.model();
        Predictor predictor = new Predictor(model, vocab, settings.get(TrainingSettings.TOKENIZER));
        String[] prefixes = samplePrefixes(settings, predictor, data);
        String prefix = prefixes[0];
        w.printf("%s %s: %d tokens (%d held out), vocabulary %d, %s %s x%d, %s; writing to %s%n",
                run.resumed() ? "resuming at epoch " + run.resumedFrom() + " on" : "training on", data.file(), data.train().length(),
                data.validation() == null ? 0 : data.validation().length(), vocab.size(), model.config.cell().name(),
                model.config.hiddens(), model.config.layers(), compute.describe(), dir.dir());
        if (trainer.heldOutDescription() != null) w.println("held-out scoring: " + trainer.heldOutDescription());
        if (live != null) w.println("serving the live view at " + live.uri());
        if (settings.get(TrainingSettings.WORKERS) > 1) {
            w.printf(Locale.ROOT, "local SGD: %s, each with %d streams; a round every %d steps, then %s at rate %s, momentum %s%n",
                    run.config().get("workers_run"), settings.get(TrainingSettings.BATCH_SIZE) / settings.get(TrainingSettings.WORKERS),
                    settings.get(TrainingSettings.SYNC_EVERY), settings.format(TrainingSettings.OUTER_OPTIMIZER),
                    ValueType.formatNumber(TrainingSettings.outerLr(settings)), ValueType.formatNumber(TrainingSettings.outerMomentum(settings)));
        }
        ProgressLine progress = new ProgressLine(w, Boolean.getBoolean("charlm.terminal"),
                (long) settings.get(TrainingSettings.BATCH_SIZE) * settings.get(TrainingSettings.NUM_STEPS));
        TrainingListener printout = new TrainingListener() {
            @Override
            public void onMinibatch(Progress p) {
                progress.update(p);
            }

            @Override
            public void onEvaluation(Evaluation e) {
                if (live != null) live.evaluation(e);
                if (settings.get(TrainingSettings.EVAL_EVERY) > 0 || e.epochs() != Math.rint(e.epochs())) {
                    progress.println(String.format(Locale.ROOT, "step %d (epoch %.2f): held-out perplexity %.3f (%.4f nats/char)%s",
                            e.step(), e.epochs(), e.valPerplexity(), Math.log(e.valPerplexity()), e.best() ? ", best so far" : ""));
                }
            }

            @Override
            public void onEpoch(EpochStats s) {
                if (live != null) live.epoch(s, predictor.greedy(prefix, Predictor.PROBE_LENGTH));
                if (s.epoch() % 10 == 0) progress.println(predictor.greedy(prefix, 50));
                progress.println(line(s));
            }

            @Override
            public void onEnd(EpochStats last, Trainer.Stop why) {
                progress.clear();
            }
        };
        TrainingRun.Output output = new TrainingRun.Output(dir, "charlm: perplexity by epoch", this::warnOnce, TrainingRun.OnCheckpoint.NONE, true);
        // Ctrl-C (or a kill's SIGTERM) asks the trainer to stop after the minibatch in progress and waits
        // while the checkpoint below is written; the JVM then exits with 128 + the signal (130 for SIGINT, 143
        // for SIGTERM), whatever this method returns. The launcher execs the JVM, so a kill of its pid lands here.
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
                stop = run.train(output, printout);
            } catch (CharlmException e) {
                progress.clear(); // diverged: the run drew what the finished epochs showed
                throw e;
            } catch (IOException e) {
                throw cannotWrite(dir, e);
            }
            report(w, dir, trainer, compute, stop);
            if (rounds != null && rounds.summary() != null) w.println(rounds.summary());
            if (stop == Trainer.Stop.INTERRUPTED) {
                w.println((trainer.canSaveState() ? "interrupted; wrote a checkpoint at step " + trainer.step()
                        : "interrupted; without detaching only an epoch's end can be saved, so the last checkpoint stays as it was")
                        + "; continue with: charlm train --resume " + dir.dir());
                w.flush();
                return 130;
            }
            w.println(predictor.greedy(prefix, 50));
            w.println(predictor.greedy(prefixes[1], 50));
            w.println("wrote " + dir.dir());
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
        String next = Files.isRegularFile(run.file(RunDirectory.MODEL)) ? "continue with: charlm train --resume " + run.dir() : "train again";
        return new CharlmException("cannot write to " + run.dir() + " (" + e.getMessage() + "); the files already there are intact: free some "
                + "space or fix the folder, then " + next, e);
    }

    /** Tokens of the training text searched for the book's prefix: its first lines, not a gigabyte. */
    static final int PREFIX_SEARCH = 1 << 20;
    /** Tokens of an excerpt of the text used as a prefix. */
    private static final int OWN_PREFIX = 12;

    /**
     * The two prefixes of the predictions printed after training. One given with --prefix must read in
     * the model's vocabulary (as generate requires), and is followed by the book's "traveller" as before.
     * The default, the book's "time traveller" and "traveller", is kept where the text has it early on
     * (the book); a text of one's own (C source, another alphabet) gets excerpts of itself instead: its
     * first characters and those halfway through its training part.
     */
    private String[] samplePrefixes(Settings settings, Predictor predictor, TrainingData data) {
        String prefix = settings.get(TrainingSettings.PREFIX);
        List<String> unseen = predictor.unseen(prefix);
        boolean empty = settings.get(TrainingSettings.TOKENIZER).normalizePrompt(prefix).isEmpty();
        if (settingOptions.given(TrainingSettings.PREFIX)) {
            if (unseen.isEmpty() && !empty) return new String[] {prefix, "traveller"};
            throw new CharlmException("--prefix " + Vocab.shown(prefix) + (empty ? " has nothing the model reads" : " has characters the text never has: "
                    + String.join(", ", unseen.stream().map(Vocab::shown).toList())) + "; give a prefix written in the text's characters");
        }
        TokenSequence train = data.train();
        if (unseen.isEmpty() && !empty && contains(train.first(PREFIX_SEARCH), data.vocab().encode(predictor.prompt(prefix).codePoints().toArray()))) {
            return new String[] {prefix, "traveller"};
        }
        return new String[] {excerpt(data.vocab(), train, 0), excerpt(data.vocab(), train, train.length() / 2)};
    }

    /** OWN_PREFIX tokens of the text from position from (fewer at its end), as text. */
    private static String excerpt(Vocab vocab, TokenSequence text, long from) {
        int n = (int) Math.min(OWN_PREFIX, text.length() - from);
        int[] tokens = new int[n];
        text.copy(from, tokens, 0, n);
        return vocab.decode(tokens, 0, n);
    }

    /** Whether the tokens contain the run of tokens sought. */
    static boolean contains(TokenSequence tokens, int[] sought) {
        long last = tokens.length() - sought.length;
        for (long i = 0; i <= last; i++) {
            int k = 0;
            while (k < sought.length && tokens.get(i + k) == sought[k]) k++;
            if (k == sought.length) return true;
        }
        return false;
    }

    /** The run's summary lines: why it stopped, the last epoch's perplexity and speed, the held-out scores. */
    private static void report(PrintWriter w, RunDirectory run, Trainer trainer, KernelsAndThreads compute, Trainer.Stop stop) {
        switch (stop) {
            case MAX_STEPS -> w.println("stopped at --max-steps, step " + trainer.step());
            case TIME_LIMIT -> w.println("stopped at --time-limit, step " + trainer.step());
            case PATIENCE -> w.println("stopped early: no better held-out score in the last --patience evaluations");
            default -> { }
        }
        if (!run.history().isEmpty()) {
            EpochStats last = run.history().get(run.history().size() - 1);
            w.printf(Locale.ROOT, "perplexity %s, %.1f tokens/s (median of %d epochs), %s%n", perplexity(last.perplexity()),
                    run.medianSpeed(), run.history().size(), compute.describe());
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

    static String line(EpochStats s) {
        String val = s.hasValidation() ? ", validation " + perplexity(s.valPerplexity()) : "";
        return String.format(Locale.ROOT, "epoch %d: perplexity %s%s, %.1f tokens/s", s.epoch(), perplexity(s.perplexity()), val, s.tokensPerSec());
    }

    /** Two decimals, as the chapter prints it; a run on its way to diverging gets 3.65e+28, not thirty digits. */
    static String perplexity(double p) {
        return String.format(Locale.ROOT, p < 1e6 ? "%.2f" : "%.3g", p);
    }

    /** A plot that cannot be drawn (no fonts) is said once per command, not at every checkpoint. */
    private void warnOnce(String problem) {
        if (plotWarned) return;
        spec.commandLine().getErr().println("charlm: " + problem);
        plotWarned = true;
    }

    private boolean plotWarned;
}
