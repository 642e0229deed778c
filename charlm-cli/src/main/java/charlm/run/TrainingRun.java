package charlm.run;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Vocab;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.train.CheckpointInterval;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import charlm.train.LocalSgd;
import charlm.train.Progress;
import charlm.train.Trainer;
import charlm.train.TrainingListener;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One training run, whoever starts it: train, train --resume, train --serve, bench, and every sweep
 * trial (on threads, in a job array, on Spark). It builds the model, the run's generator, the
 * initialisation and the {@link Trainer} from the settings, or takes them over from a checkpoint; and,
 * given a run folder, writes config.json, metrics.csv, steps.csv, the checkpoints (model.safetensors
 * every --checkpoint-every K epochs, N steps or stretch of time, and at the end, best.safetensors at each best held-out score) and
 * perplexity.png, and ends the same way however the run stops: a run stopped inside an epoch (or before
 * its first minibatch) is scored where it stopped, and the last state that can be saved is saved.
 * Leaves out what a command prints, where its settings come from and signals: the listener a command
 * gives hears every event after the run's own files have been written.
 */
public final class TrainingRun {
    private final TrainingData data;
    private final KernelsAndThreads compute;
    private final Trainer trainer;
    private final int resumedFrom;
    private final Map<String, Object> notes = new LinkedHashMap<>();
    private Progress lastProgress;

    private TrainingRun(TrainingData data, KernelsAndThreads compute, Trainer trainer, int resumedFrom) {
        this.data = data;
        this.compute = compute;
        this.trainer = trainer;
        this.resumedFrom = resumedFrom;
    }

    /**
     * A new run: the model the settings describe, initialised from the run's seeded generator, which the
     * trainer then goes on drawing from. With --workers N above 1 its workers run in this process, one
     * after another (a sweep's trial, or train without --spark).
     */
    public static TrainingRun start(Settings settings, TrainingData data, KernelsAndThreads compute) {
        LocalSgd.Engine rounds = settings.get(TrainingSettings.WORKERS) > 1
                ? LocalSgd.inProcess(job(settings, data), compute.kernels(), compute.workers()) : null;
        return start(settings, data, compute, rounds);
    }

    /** A new run whose rounds of local SGD run on rounds (null: one process); the caller closes it after the run. */
    public static TrainingRun start(Settings settings, TrainingData data, KernelsAndThreads compute, LocalSgd.Engine rounds) {
        RnnModel model = new RnnModel(TrainingSettings.modelConfig(settings, data.vocab().size()), compute.kernels(), compute.workers());
        Rng rng = new Rng(settings.get(TrainingSettings.SEED));
        TrainingSettings.initialize(model, settings, rng);
        TrainingRun run = new TrainingRun(data, compute, new Trainer(model, settings, data.train(), data.validation(), rng, rounds), -1);
        if (rounds != null) run.note("workers_run", rounds.describe());
        return run;
    }

    /** What a local SGD engine is given: the settings and the text to shard; refused (one line) when a shard cannot hold a minibatch. */
    public static LocalSgd.Job job(Settings settings, TrainingData data) {
        LocalSgd.Job job = new LocalSgd.Job(settings, data.vocab().size(), data.train());
        LocalSgd.checkShards(job);
        return job;
    }

    /**
     * A run continued from the checkpoint file, with the settings given (the checkpoint's own, with new
     * Run settings): bit for bit as if it had never stopped. Refused (one line) when the file holds no
     * training state or the data's vocabulary is not the run's.
     */
    public static TrainingRun resume(Path checkpoint, Settings settings, TrainingData data, KernelsAndThreads compute) {
        LocalSgd.Engine rounds = settings.get(TrainingSettings.WORKERS) > 1
                ? LocalSgd.inProcess(job(settings, data), compute.kernels(), compute.workers()) : null;
        return resume(checkpoint, settings, data, compute, rounds);
    }

    /** The same, with the rounds of a local SGD run continuing on rounds (with each worker's saved state); the caller closes it. */
    public static TrainingRun resume(Path checkpoint, Settings settings, TrainingData data, KernelsAndThreads compute, LocalSgd.Engine rounds) {
        Checkpoint.Loaded loaded = Checkpoint.load(checkpoint, compute.kernels(), compute.workers());
        if (loaded.training() == null) {
            throw new CharlmException("checkpoint " + checkpoint + " holds no training state (epoch, generator); only runs of this charlm can be resumed");
        }
        if (!loaded.vocab().tokens().equals(data.vocab().tokens())) {
            throw new CharlmException("the run's data " + data.file() + " has changed since it was trained (its vocabulary differs); it cannot be resumed");
        }
        Trainer trainer = Trainer.resume(loaded.model(), settings, data.train(), data.validation(), loaded.training(), rounds);
        TrainingRun run = new TrainingRun(data, compute, trainer, trainer.epochsDone());
        if (rounds != null) run.note("workers_run", rounds.describe());
        return run;
    }

    public Trainer trainer() {
        return trainer;
    }

    public TrainingData data() {
        return data;
    }

    public KernelsAndThreads compute() {
        return compute;
    }

    /** Whether this run continues a checkpoint. */
    public boolean resumed() {
        return resumedFrom >= 0;
    }

    /** The epochs the checkpoint it continues had done; call only when {@link #resumed()}. */
    public int resumedFrom() {
        if (!resumed()) throw new IllegalStateException("a new run");
        return resumedFrom;
    }

    /** The last minibatch's report (null before the first): the speed of a run that stopped before an epoch ended. */
    public Progress lastProgress() {
        return lastProgress;
    }

    /**
     * config.json's contents: every setting, what the data turned out to be, what ran it, and the epoch a
     * resumed run continued from.
     */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("command", "train");
        c.put("data_file", data.file().toAbsolutePath().toString());
        c.put("corpus_tokens", data.tokens().length());
        c.put("train_tokens", data.train().length());
        c.put("val_tokens", data.validation() == null ? 0 : data.validation().length());
        if (trainer.heldOutDescription() != null) c.put("val_scored", trainer.heldOutDescription());
        c.put("vocab_size", data.vocab().size());
        c.put("settings", trainer.settings().toJson());
        c.put("kernels", compute.kernels().name());
        c.put("threads_used", compute.workers().threads());
        c.put("jdk", Runtime.version().toString());
        c.put("java_vendor", System.getProperty("java.vendor"));
        c.put("started", OffsetDateTime.now().toString());
        if (resumed()) c.put("resumed_from_epoch", resumedFrom);
        c.putAll(notes);
        return c;
    }

    /** Adds an entry to config.json (train: the --preset it started from). */
    public TrainingRun note(String key, Object value) {
        notes.put(key, value);
        return this;
    }

    /** Told when the run has written a checkpoint of an epoch (a sweep then hands its files on). */
    @FunctionalInterface
    public interface OnCheckpoint {
        void written(int epoch) throws IOException;

        OnCheckpoint NONE = epoch -> {
        };
    }

    /**
     * Where a run writes, and what it tells about writing: the folder, the plot's title, where a plot
     * that cannot be drawn is reported (the run goes on without its picture), who hears of each
     * checkpoint, and whether the run ends with its checkpoint (train: always; a sweep's trial only with
     * --checkpoint-every, to keep a large grid's folder small).
     */
    public record Output(RunDirectory dir, String plotTitle, Consumer<String> plotProblem, OnCheckpoint onCheckpoint, boolean saveAtEnd) {
    }

    /**
     * Trains without writing anything (bench): the listener hears every event. A diverging run throws a
     * CharlmException with exit code 3.
     */
    public Trainer.Stop train(TrainingListener listener) {
        return trainer.run(listener);
    }

    /**
     * Trains into the folder: config.json first, then each epoch's row of metrics.csv, each held-out score's
     * row of steps.csv (and best.safetensors when it is the best so far), model.safetensors with the
     * training state at each --checkpoint-every (epochs, steps or time; with the plot) and at the end. Stopped inside an
     * epoch (time limit, steps), the held-out text is scored there too. The plot is drawn at the end, also
     * when the run diverges (the CharlmException is then thrown on); not when interrupted, since the JVM
     * may be shutting down (the resumed run draws it). Returns why the run stopped.
     */
    public Trainer.Stop train(Output out, TrainingListener listener) throws IOException {
        RunDirectory dir = out.dir();
        dir.writeConfig(Json.pretty(config()));
        Settings settings = trainer.settings();
        Vocab vocab = data.vocab();
        RnnModel model = trainer.model();
        int epochs = settings.get(TrainingSettings.EPOCHS);
        CheckpointInterval.Clock checkpoints = settings.get(TrainingSettings.CHECKPOINT_EVERY).clock();
        int evalEvery = settings.get(TrainingSettings.EVAL_EVERY);
        TrainingListener files = new TrainingListener() {
            // A checkpoint by steps or time waits for what the trainer still does at that step (the held-out
            // score, the epoch's end), so that the state it saves is the state the run goes on from.
            private boolean afterEvaluation, atEpochEnd;

            @Override
            public void onMinibatch(Progress p) {
                lastProgress = p;
                if (checkpoints.dueAfterMinibatch(p.step(), p.secondsUsed())) {
                    if (p.batch() == p.batches()) atEpochEnd = true;
                    else if (data.validation() != null && evalEvery > 0 && p.step() % evalEvery == 0) afterEvaluation = true;
                    else checkpoint(out);
                }
                listener.onMinibatch(p);
            }

            @Override
            public void onEvaluationStart() {
                listener.onEvaluationStart();
            }

            @Override
            public void onEvaluation(Evaluation e) {
                try {
                    if (e.best()) Checkpoint.save(dir.file(RunDirectory.BEST), model, vocab, settings, null);
                    dir.recordEvaluation(e);
                    if (afterEvaluation) checkpoint(out);
                    afterEvaluation = false;
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                listener.onEvaluation(e);
            }

            @Override
            public void onEpoch(EpochStats s) {
                try {
                    dir.recordEpoch(s);
                    if ((atEpochEnd && s.epoch() < epochs) || checkpoints.dueAtEpoch(s.epoch(), epochs)) checkpoint(out); // the last is the end's
                    atEpochEnd = false;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                listener.onEpoch(s);
            }

            @Override
            public void onEnd(EpochStats last, Trainer.Stop why) {
                listener.onEnd(last, why);
            }
        };
        try {
            Trainer.Stop stop = trainer.run(files);
            // Stopped inside an epoch, or before the first minibatch (a time limit that its reserve for the final
            // scoring used up): scored where it stopped, so that every run with held-out text ends with a score.
            if (stop != Trainer.Stop.INTERRUPTED && data.validation() != null && !trainer.scoredAtCurrentStep()) trainer.evaluateNow(files);
            if (stop != Trainer.Stop.INTERRUPTED) plot(out);
            if (out.saveAtEnd() && trainer.canSaveState()) save(dir);
            return stop;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (CharlmException e) {
            // Diverged: keep what the finished epochs showed; the last checkpoint stays as it was.
            plot(out);
            throw e;
        }
    }

    /** A checkpoint of --checkpoint-every, with the plot so far, handed on to who hears of it. */
    private void checkpoint(Output out) {
        try {
            save(out.dir());
            plot(out);
            out.onCheckpoint().written(trainer.epochsDone());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checkpoint: parameters plus everything a resumed run needs to continue bit for bit. */
    private void save(RunDirectory dir) throws IOException {
        Checkpoint.save(dir.file(RunDirectory.MODEL), trainer.model(), data.vocab(), trainer.settings(), trainer.state());
    }

    private void plot(Output out) throws IOException {
        RunDirectory dir = out.dir();
        if (dir.history().isEmpty() && dir.evaluations().isEmpty()) return;
        PerplexityPlot.write(dir.file(RunDirectory.PLOT), dir.history(), dir.evaluations(), out.plotTitle()).ifPresent(out.plotProblem());
    }
}
