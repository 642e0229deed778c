package charlm.sweep;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.io.AtomicFiles;
import charlm.io.Json;
import charlm.run.KernelsAndThreads;
import charlm.run.RunDirectory;
import charlm.run.TrainingData;
import charlm.run.TrainingRun;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import charlm.train.Progress;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Running one trial of a sweep: a {@link TrainingRun} into the trial's folder of the sweep folder,
 * with the same files a train run writes, then result.json, last and atomically: a trial is done
 * exactly when that file exists. Whatever runs the trials ({@link SweepEngine}) runs each one here.
 */
public final class SweepTrial {
    public static final String RESULT = "result.json";

    private SweepTrial() {
    }

    /** Whether the trial's result.json is in the sweep folder. */
    public static boolean done(SweepFolder folder, SweepPlan.Trial t) throws IOException {
        return folder.read(t.name() + "/" + RESULT) != null;
    }

    /** A text a trial reads: the file as its --data names it (the book's cached copy for none) and where this machine has its bytes. */
    public record Text(Path named, Path local) {
    }

    /** Finds the text of a --data value (null: the book) on this machine. */
    @FunctionalInterface
    public interface Texts {
        Text locate(Path data);

        /** Every text where it is named; the book is found in the cache, or downloaded. */
        Texts HERE = data -> {
            Path f = BookSource.timeMachine().resolve(data);
            return new Text(f, f);
        };
    }

    /** The texts the trials read, by --data value (null: the book), resolved here: what an engine ships to its workers. */
    public static Map<Path, Path> texts(SweepPlan plan) {
        Map<Path, Path> texts = new LinkedHashMap<>();
        for (SweepPlan.Trial t : plan.trials()) {
            Path data = t.settings().get(TrainingSettings.DATA);
            if (!texts.containsKey(data)) texts.put(data, TrainingData.file(t.settings()));
        }
        return texts;
    }

    /**
     * The corpora of a sweep, each read once: trials differ in their settings, rarely in their text. A big
     * text (or any with --token-cache) is read through its token cache, mapped, as train reads it.
     */
    public static final class Corpora {
        private final Texts texts;
        private final Map<List<Object>, TrainingData.Tokens> read = new HashMap<>();

        public Corpora() {
            this(Texts.HERE);
        }

        public Corpora(Texts texts) {
            this.texts = texts;
        }

        synchronized TrainingData data(Settings s) {
            Text text = texts.locate(s.get(TrainingSettings.DATA));
            List<Object> key = Arrays.asList(text.local().toAbsolutePath().normalize(), s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS),
                    s.get(TrainingSettings.MAX_VOCAB), s.get(TrainingSettings.TOKEN_CACHE));
            TrainingData.Tokens c = read.computeIfAbsent(key, k -> TrainingData.tokens(text.local(), s, line -> { }));
            return TrainingData.split(text.named(), c.vocab(), c.all(), s);
        }
    }

    /** Told each time a trial has written a checkpoint and handed it to the sweep folder (tests use it to interrupt a trial there). */
    @FunctionalInterface
    public interface AfterCheckpoint {
        void written(SweepPlan.Trial trial, int epoch);

        AfterCheckpoint NONE = (trial, epoch) -> {
        };
    }

    /** What a trial hands on to the sweep folder at each checkpoint (a retry resumes from them) and, with result.json, at the end. */
    private static final String[] CHECKPOINT_FILES = {RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.STEPS, RunDirectory.BEST,
            RunDirectory.PLOT, RunDirectory.MODEL};

    /**
     * Trains one trial into its folder of the sweep folder and writes its result.json last, atomically. With
     * --checkpoint-every K a trial that stopped half-way resumes from its checkpoint, bit for bit; without,
     * it starts over. Returns the result.
     */
    public static Map<String, Object> run(SweepPlan.Trial t, SweepFolder folder, Corpora corpora, AfterCheckpoint after) throws IOException {
        TrainingData data = corpora.data(t.settings());
        data.checkMemory(t.settings());
        try (SweepFolder.Workspace ws = folder.workspace(t.name())) {
            return run(t, ws, data, after);
        }
    }

    private static Map<String, Object> run(SweepPlan.Trial t, SweepFolder.Workspace ws, TrainingData data, AfterCheckpoint after) throws IOException {
        Settings s = t.settings();
        Path dir = ws.dir();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("trial", t.name());
        result.put("index", t.index());
        long start = System.nanoTime();
        // The folder stays locked until result.json is written: no second writer between the plot and the result.
        try (KernelsAndThreads compute = KernelsAndThreads.create(TrainingSettings.threads(s))) {
            boolean every = s.get(TrainingSettings.CHECKPOINT_EVERY).any();
            TrainingRun run = every ? resume(dir, s, data, compute) : null;
            RunDirectory folder;
            if (run != null) {
                folder = RunDirectory.resume(dir, run.trainer().epochsDone(), run.trainer().step());
                result.put("resumed_from_epoch", run.resumedFrom());
            } else {
                run = TrainingRun.start(s, data, compute);
                folder = RunDirectory.prepare(dir, true);
                RunDirectory.removeStaleTemporaries(dir); // left by an attempt that was killed while it wrote
            }
            try (RunDirectory f = folder) {
                TrainingRun.OnCheckpoint published = epoch -> {
                    ws.publish(CHECKPOINT_FILES);
                    after.written(t, epoch);
                };
                try {
                    run.train(new TrainingRun.Output(f, "trial " + t.name(), problem -> { }, published, every), e -> { });
                    result.put("status", "done");
                    result.putAll(scores(f, run));
                } catch (CharlmException e) {
                    if (e.exitCode() != 3) throw e;
                    result.put("status", "diverged");
                }
                result.put("seconds", (System.nanoTime() - start) / 1e9);
                result.put("settings", s.toJson());
                AtomicFiles.writeString(dir.resolve(RESULT), Json.pretty(result));
                // result.json last: whatever stops the copy half-way, the trial is not done without it
                String[] all = Arrays.copyOf(CHECKPOINT_FILES, CHECKPOINT_FILES.length + 1);
                all[CHECKPOINT_FILES.length] = RESULT;
                ws.publish(all);
            }
        }
        return result;
    }

    /**
     * The trial's scores: the final held-out perplexity (scored where the run stopped, inside an epoch or
     * at its end), the best one and when, and the training perplexity and speed of the last whole epoch, or
     * of the minibatches trained when the run stopped inside its first.
     */
    private static Map<String, Object> scores(RunDirectory folder, TrainingRun run) {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Evaluation> scores = folder.evaluations();
        List<EpochStats> epochs = folder.history();
        if (scores.isEmpty()) throw new IllegalStateException("a run with held-out text ends with a score");
        Evaluation last = scores.get(scores.size() - 1);
        Evaluation best = scores.stream().min(Comparator.comparingDouble(Evaluation::valPerplexity)).orElseThrow();
        Progress progress = run.lastProgress();
        // A trial stopped before its first epoch ended has the loss of the minibatches it trained (none: no figure).
        double train = epochs.isEmpty() ? Math.exp(last.trainLoss()) : epochs.get(epochs.size() - 1).perplexity();
        if (!Double.isNaN(train)) r.put("train_perplexity", train);
        r.put("val_perplexity", last.valPerplexity());
        r.put("best_val_perplexity", best.valPerplexity());
        // A whole epoch as a whole number, as result.json always had it; a score inside an epoch with its fraction.
        r.put("best_val_epoch", best.epochs() == Math.rint(best.epochs()) ? (Object) (long) best.epochs() : (Object) best.epochs());
        if (!epochs.isEmpty()) r.put("tokens_per_sec", folder.medianSpeed());
        else if (progress != null) r.put("tokens_per_sec", progress.tokensPerSec());
        return r;
    }

    /**
     * The trial continued from the checkpoint in dir, as train --resume continues a run; null when there is
     * none to continue from (no file, no training state, another text), and the trial starts over.
     */
    private static TrainingRun resume(Path dir, Settings s, TrainingData data, KernelsAndThreads compute) {
        Path file = dir.resolve(RunDirectory.MODEL);
        if (!Files.isRegularFile(file)) return null;
        try {
            return TrainingRun.resume(file, s, data, compute);
        } catch (CharlmException | IllegalArgumentException e) {
            return null; // a checkpoint that does not fit this trial: training from the start gives the same result
        }
    }

    /** One line for a finished trial. */
    public static String summary(Map<?, ?> result) {
        String resumed = result.get("resumed_from_epoch") instanceof Number n ? " (resumed from epoch " + n.intValue() + ")" : "";
        if (!"done".equals(result.get("status"))) return "trial " + result.get("trial") + ": diverged" + resumed;
        String train = result.get("train_perplexity") instanceof Number n ? String.format(Locale.ROOT, "train %.3f, ", n.doubleValue()) : "";
        return String.format(Locale.ROOT, "trial %s: %svalidation %.3f, %.0f s", result.get("trial"), train, result.get("val_perplexity"),
                result.get("seconds")) + resumed;
    }
}
