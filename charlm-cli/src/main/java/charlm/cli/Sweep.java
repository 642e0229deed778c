package charlm.cli;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Vocab;
import charlm.io.AtomicFiles;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.model.RnnModel;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Trainer;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A sweep: the grid of every combination of the settings' lists, each trial a whole training run in
 * a folder of its own, and the tables that rank them by held-out perplexity. The plan is a pure
 * function of the lists, so the same command always makes the same trials, in the same order, with
 * the same names: that is what lets a rerun skip finished trials and a job array run trial N alone.
 * Leaves out how trials are scheduled: a thread pool in {@link SweepCommand}, one process per trial
 * with --trial-index, or a {@link SweepEngine} such as charlm-spark's; all of them run trials through
 * {@link #runTrial} into a {@link SweepFolder}, and rank them with {@link #writeTables}.
 */
public final class Sweep {
    public static final String GRID = "sweep.json", RESULT = "result.json", CSV = "sweep.csv", MD = "sweep.md";

    private Sweep() {
    }

    /** One trial: its place in the grid, its folder name, its settings and the values that set it apart. */
    public record Trial(int index, String name, Settings settings, Map<Setting<?>, Object> varying) {
        /** The options that set this trial apart, as typed: "--hiddens 256 --lr 0.5"; empty when nothing varies. */
        public String options() {
            StringBuilder b = new StringBuilder();
            for (Map.Entry<Setting<?>, Object> e : varying.entrySet()) {
                if (b.length() > 0) b.append(' ');
                b.append(e.getKey().option()).append(' ').append(formatted(e.getKey(), e.getValue()));
            }
            return b.toString();
        }
    }

    /** The trials of a grid, the combinations left out (and why), and the settings that vary. */
    public record Plan(List<Trial> trials, List<String> skipped, List<Setting<?>> varying) {
    }

    /**
     * Every combination of the lists (the first setting of the table outermost), leaving out those that
     * contradict themselves (GRU with --activation relu) and those that repeat another (two --embed-dim
     * values with one-hot input).
     */
    public static Plan plan(Map<Setting<?>, List<Object>> lists) {
        List<Setting<?>> varying = new ArrayList<>();
        for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) if (e.getValue().size() > 1) varying.add(e.getKey());
        List<Trial> trials = new ArrayList<>();
        Set<String> skipped = new LinkedHashSet<>();
        List<Setting<?>> settings = new ArrayList<>(lists.keySet());
        int[] at = new int[settings.size()];
        Settings defaults = TrainingSettings.book();
        Map<String, Integer> seen = new HashMap<>();
        Set<Settings> distinct = new java.util.HashSet<>();
        while (true) {
            Settings s = defaults;
            Map<Setting<?>, Object> values = new LinkedHashMap<>();
            for (int i = 0; i < settings.size(); i++) {
                Object v = lists.get(settings.get(i)).get(at[i]);
                s = with(s, settings.get(i), v);
                if (varying.contains(settings.get(i))) values.put(settings.get(i), v);
            }
            // A setting that does not apply (--activation of a GRU) is put back to its default: such
            // combinations are one trial, not several.
            Settings normal = TrainingSettings.withoutWhatDoesNotApply(s);
            if (!distinct.add(normal)) {
                if (!advance(at, settings, lists)) break;
                continue;
            }
            Map<Setting<?>, Object> shown = new LinkedHashMap<>();
            for (Map.Entry<Setting<?>, Object> e : values.entrySet()) if (TrainingSettings.applies(e.getKey(), s)) shown.put(e.getKey(), e.getValue());
            try {
                TrainingSettings.validate(normal);
                String name = name(shown);
                int n = seen.merge(name, 1, Integer::sum);
                trials.add(new Trial(trials.size(), n == 1 ? name : name + "_" + n, normal, shown));
            } catch (CharlmException e) {
                skipped.add(name(shown) + ": " + e.getMessage());
            }
            if (!advance(at, settings, lists)) break;
        }
        if (trials.isEmpty()) {
            throw new CharlmException("the sweep has no trial left: every combination was left out (" + String.join("; ", skipped) + ")");
        }
        return new Plan(trials, new ArrayList<>(skipped), varying);
    }

    /** The next combination, the last setting fastest; false after the last one. */
    private static boolean advance(int[] at, List<Setting<?>> settings, Map<Setting<?>, List<Object>> lists) {
        int i = settings.size() - 1;
        while (i >= 0 && ++at[i] == lists.get(settings.get(i)).size()) at[i--] = 0;
        return i >= 0;
    }

    @SuppressWarnings("unchecked")
    private static <T> Settings with(Settings s, Setting<T> setting, Object value) {
        return s.with(setting, (T) value);
    }

    /** A folder name from the values that set a trial apart, e.g. "hiddens-256_lr-0.5"; "trial" when nothing varies. */
    static String name(Map<Setting<?>, Object> values) {
        if (values.isEmpty()) return "trial";
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Setting<?>, Object> e : values.entrySet()) {
            if (b.length() > 0) b.append('_');
            b.append(e.getKey().name()).append('-').append(shortValue(e.getKey(), e.getValue()));
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static <T> String shortValue(Setting<T> s, Object value) {
        String text = value instanceof Path p ? String.valueOf(p.getFileName()) : s.format((T) value);
        return text.replaceAll("[^A-Za-z0-9.+-]", "_");
    }

    /** The lists as given, for sweep.json: a folder holds one grid only. */
    public static Map<String, Object> describe(Map<Setting<?>, List<Object>> lists) {
        Map<String, Object> g = new LinkedHashMap<>();
        for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) {
            List<Object> json = new ArrayList<>();
            for (Object v : e.getValue()) json.add(toJson(e.getKey(), v));
            g.put(e.getKey().key(), json);
        }
        return g;
    }

    @SuppressWarnings("unchecked")
    private static <T> Object toJson(Setting<T> s, Object value) {
        return s.toJson((T) value);
    }

    /**
     * The lists back from a grid as {@link #describe} wrote it (sweep.json), so that another process (a
     * Spark executor, --collect) plans the very same trials; a setting the grid does not name keeps its default.
     */
    public static Map<Setting<?>, List<Object>> lists(String gridJson, String where) {
        Object parsed;
        try {
            parsed = Json.parse(gridJson);
        } catch (IllegalArgumentException e) {
            throw new CharlmException(where + " is damaged (" + e.getMessage() + ")");
        }
        if (!(parsed instanceof Map<?, ?> grid)) throw new CharlmException(where + " is damaged (not a JSON object)");
        Map<Setting<?>, List<Object>> lists = new LinkedHashMap<>();
        for (Setting<?> s : TrainingSettings.all()) {
            Object values = grid.get(s.key());
            List<Object> list = new ArrayList<>();
            if (values == null) {
                list.add(s.defaultValue());
            } else if (values instanceof List<?> l && !l.isEmpty()) {
                for (Object v : l) list.add(s.fromJson(v, where));
            } else {
                throw new CharlmException(where + " is damaged (" + s.key() + " is not a list of values)");
            }
            lists.put(s, list);
        }
        return lists;
    }

    /**
     * A new folder for the grid, or the folder of this very grid (to continue it); anything else is refused.
     * Safe when many processes of a job array start on the same new folder at once: they all write the same
     * sweep.json, atomically, and a folder that holds files is only refused when it still has no sweep.json.
     */
    public static void prepare(SweepFolder folder, String gridJson) throws IOException {
        folder.create();
        String existing = folder.read(GRID);
        if (existing == null && folder.holdsFiles()) {
            existing = folder.read(GRID); // another process of this sweep may have just written it
            if (existing == null) {
                throw new CharlmException("--out " + folder.location() + " already holds files and no " + GRID + "; give a new folder for the sweep");
            }
        }
        if (existing == null) {
            folder.write(GRID, gridJson);
            existing = folder.read(GRID);
        }
        if (!gridJson.equals(existing)) {
            throw new CharlmException("--out " + folder.location() + " holds a different sweep (see its " + GRID + "); use a new folder to run this grid");
        }
    }

    /** The grid a sweep folder holds, from its sweep.json; refused when it holds none. */
    public static String grid(SweepFolder folder) throws IOException {
        String grid = folder.read(GRID);
        if (grid == null) {
            throw new CharlmException("--out " + folder.location() + " holds no sweep (no " + GRID + "); give the folder a sweep wrote into");
        }
        return grid;
    }

    public static boolean done(SweepFolder folder, Trial t) throws IOException {
        return folder.read(t.name() + "/" + RESULT) != null;
    }

    /** The result.json of every finished trial, by trial index. */
    public static Map<Integer, Map<?, ?>> results(SweepFolder folder, Plan plan) throws IOException {
        Map<Integer, Map<?, ?>> rows = new TreeMap<>();
        for (Trial t : plan.trials()) {
            String r = folder.read(t.name() + "/" + RESULT);
            if (r != null) rows.put(t.index(), parseResult(r, folder.location() + "/" + t.name() + "/" + RESULT));
        }
        return rows;
    }

    /** A result.json's contents. */
    public static Map<?, ?> parseResult(String json, String where) {
        try {
            if (Json.parse(json) instanceof Map<?, ?> m) return m;
        } catch (RuntimeException e) {
            throw new CharlmException(where + " is damaged (" + e.getMessage() + "); delete it to run the trial again");
        }
        throw new CharlmException(where + " is damaged (not a JSON object); delete it to run the trial again");
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
    public static Map<Path, Path> texts(Plan plan) {
        Map<Path, Path> texts = new LinkedHashMap<>();
        for (Trial t : plan.trials()) {
            Path data = t.settings().get(TrainingSettings.DATA);
            if (!texts.containsKey(data)) texts.put(data, TrainingData.file(t.settings()));
        }
        return texts;
    }

    /** The corpora of a sweep, each read once: trials differ in their settings, rarely in their text. */
    public static final class Corpora {
        private final Texts texts;
        private final Map<List<Object>, Corpus> read = new HashMap<>();

        public Corpora() {
            this(Texts.HERE);
        }

        public Corpora(Texts texts) {
            this.texts = texts;
        }

        synchronized TrainingData data(Settings s) {
            Text text = texts.locate(s.get(TrainingSettings.DATA));
            List<Object> key = List.of(text.local().toAbsolutePath().normalize(), s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS),
                    s.get(TrainingSettings.MAX_VOCAB));
            Corpus c = read.computeIfAbsent(key, k -> Corpus.load(text.local(), s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS),
                    s.get(TrainingSettings.MAX_VOCAB), line -> { }));
            return TrainingData.split(text.named(), c, s);
        }
    }

    /** Told each time a trial has written a checkpoint and handed it to the sweep folder (tests use it to interrupt a trial there). */
    @FunctionalInterface
    public interface AfterCheckpoint {
        void written(Trial trial, int epoch);

        AfterCheckpoint NONE = (trial, epoch) -> {
        };
    }

    /**
     * Trains one trial into its folder of the sweep folder and writes its result.json last, atomically: a
     * trial is done exactly when that file exists. With --checkpoint-every K the trial writes
     * model.safetensors (with the training state) every K epochs and at the end, and a trial that
     * stopped half-way resumes from its checkpoint, bit for bit; without, it starts over. Returns the result.
     */
    public static Map<String, Object> runTrial(Trial t, SweepFolder folder, Corpora corpora, AfterCheckpoint after) throws IOException {
        TrainingData data = corpora.data(t.settings());
        data.checkMemory(t.settings());
        try (SweepFolder.Workspace ws = folder.workspace(t.name())) {
            return runTrial(t, ws, data, after);
        }
    }

    private static Map<String, Object> runTrial(Trial t, SweepFolder.Workspace ws, TrainingData data, AfterCheckpoint after) throws IOException {
        Settings s = t.settings();
        Path dir = ws.dir();
        int every = s.get(TrainingSettings.CHECKPOINT_EVERY), epochs = s.get(TrainingSettings.EPOCHS);
        Vocab vocab = data.vocab();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("trial", t.name());
        result.put("index", t.index());
        long start = System.nanoTime();
        RunDirectory run = null;
        try (KernelsAndThreads engine = KernelsAndThreads.create(TrainingSettings.threads(s))) {
            Map<String, Object> config = TrainCommand.config(data, engine, s);
            Resumed resumed = every > 0 ? resume(dir, s, data, engine) : null;
            Trainer trainer;
            if (resumed != null) {
                trainer = resumed.trainer();
                run = resumed.run();
                config.put("resumed_from_epoch", trainer.epochsDone());
                result.put("resumed_from_epoch", trainer.epochsDone());
            } else {
                run = RunDirectory.prepare(dir, true);
                RunDirectory.removeStaleTemporaries(dir); // left by an attempt that was killed while it wrote
                RnnModel model = new RnnModel(TrainingSettings.modelConfig(s, vocab.size()), engine.kernels(), engine.workers());
                Rng rng = new Rng(s.get(TrainingSettings.SEED));
                TrainingSettings.initialize(model, s, rng);
                trainer = new Trainer(model, s, data.train(), data.validation(), rng);
            }
            run.writeConfig(Json.pretty(config));
            RunDirectory r = run;
            try {
                trainer.run(e -> {
                    try {
                        r.recordEpoch(e);
                        if (every > 0 && e.epoch() % every == 0 && e.epoch() < epochs) {
                            Checkpoint.save(r.file(RunDirectory.MODEL), trainer.model(), vocab, s, trainer.state());
                            ws.publish(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.MODEL);
                            after.written(t, e.epoch());
                        }
                    } catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    }
                });
                if (every > 0 && trainer.canSaveState()) Checkpoint.save(run.file(RunDirectory.MODEL), trainer.model(), vocab, s, trainer.state());
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            EpochStats last = run.history().get(run.history().size() - 1);
            EpochStats best = run.bestValidation();
            result.put("status", "done");
            result.put("train_perplexity", last.perplexity());
            result.put("val_perplexity", last.valPerplexity());
            result.put("best_val_perplexity", best.valPerplexity());
            result.put("best_val_epoch", best.epoch());
            result.put("tokens_per_sec", TrainCommand.medianSpeed(run));
        } catch (CharlmException e) {
            if (e.exitCode() != 3) {
                if (run != null) run.close();
                throw e;
            }
            result.put("status", "diverged");
        } catch (IOException | RuntimeException e) {
            if (run != null) run.close();
            throw e;
        }
        result.put("seconds", (System.nanoTime() - start) / 1e9);
        result.put("settings", s.toJson());
        // The folder stays locked until result.json is written: no second writer between the plot and the result.
        try {
            if (run != null && !run.history().isEmpty()) {
                PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), run.evaluations(), "trial " + t.name());
            }
            AtomicFiles.writeString(dir.resolve(RESULT), Json.pretty(result));
            // result.json last: whatever stops the copy half-way, the trial is not done without it
            ws.publish(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.PLOT, RunDirectory.MODEL, RESULT);
        } finally {
            if (run != null) run.close();
        }
        return result;
    }

    private record Resumed(Trainer trainer, RunDirectory run) {
    }

    /**
     * The trial continued from the checkpoint in dir, as train --resume continues a run; null when there is
     * none to continue from (no file, no training state, another text), and the trial starts over.
     */
    private static Resumed resume(Path dir, Settings s, TrainingData data, KernelsAndThreads engine) {
        Path file = dir.resolve(RunDirectory.MODEL);
        if (!Files.isRegularFile(file)) return null;
        try {
            Checkpoint.Loaded loaded = Checkpoint.load(file, engine.kernels(), engine.workers());
            if (loaded.training() == null || !loaded.vocab().tokens().equals(data.vocab().tokens())) return null;
            Trainer trainer = new Trainer(loaded.model(), s, data.train(), data.validation(), new Rng(0));
            trainer.restore(loaded.training());
            return new Resumed(trainer, RunDirectory.resume(dir, loaded.training().epochsDone(), loaded.training().step()));
        } catch (CharlmException | IllegalArgumentException e) {
            return null; // a checkpoint that does not fit this trial: training from the start gives the same result
        }
    }

    /** One line for a finished trial. */
    public static String summary(Map<?, ?> result) {
        String resumed = result.get("resumed_from_epoch") instanceof Number n ? " (resumed from epoch " + n.intValue() + ")" : "";
        return "trial " + result.get("trial") + ": " + ("done".equals(result.get("status"))
                ? String.format(Locale.ROOT, "train %.3f, validation %.3f, %.0f s", result.get("train_perplexity"),
                result.get("val_perplexity"), result.get("seconds"))
                : "diverged") + resumed;
    }

    /**
     * sweep.csv and sweep.md from the finished trials' results (by trial index, as their result.json holds
     * them), ranked by final held-out perplexity; returns the table.
     */
    public static String writeTables(SweepFolder folder, Plan plan, Map<Integer, Map<?, ?>> results) throws IOException {
        List<Map<?, ?>> rows = new ArrayList<>();
        for (Trial t : plan.trials()) if (results.containsKey(t.index())) rows.add(results.get(t.index()));
        rows.sort(Comparator.comparingDouble(r -> r.get("val_perplexity") instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY));
        StringBuilder csv = new StringBuilder("trial");
        StringBuilder md = new StringBuilder("| rank | trial");
        StringBuilder rule = new StringBuilder("|---:|---");
        for (Setting<?> s : plan.varying()) {
            csv.append(',').append(s.key());
            md.append(" | ").append(s.name());
            rule.append("|---");
        }
        csv.append(",train_perplexity,val_perplexity,best_val_perplexity,best_val_epoch,tokens_per_sec,seconds,status\n");
        md.append(" | train ppl | validation ppl | best validation (epoch) | tokens/s |\n");
        md.append(rule).append("|---:|---:|---:|---:|\n");
        int rank = 0;
        for (Map<?, ?> r : rows) {
            Map<?, ?> settings = r.get("settings") instanceof Map<?, ?> m ? m : Map.of();
            csv.append(str(r.get("trial")));
            md.append("| ").append(++rank).append(" | ").append(str(r.get("trial")));
            for (Setting<?> s : plan.varying()) {
                csv.append(',').append(str(settings.get(s.key())));
                md.append(" | ").append(str(settings.get(s.key())));
            }
            csv.append(',').append(String.join(",", num(r.get("train_perplexity"), 6), num(r.get("val_perplexity"), 6),
                    num(r.get("best_val_perplexity"), 6), num(r.get("best_val_epoch"), 0), num(r.get("tokens_per_sec"), 1),
                    num(r.get("seconds"), 1), str(r.get("status")))).append('\n');
            md.append(" | ").append(num(r.get("train_perplexity"), 3)).append(" | ").append(num(r.get("val_perplexity"), 3))
                    .append(" | ").append(num(r.get("best_val_perplexity"), 3)).append(" (").append(num(r.get("best_val_epoch"), 0)).append(")")
                    .append(" | ").append(num(r.get("tokens_per_sec"), 0)).append(" |\n");
        }
        folder.write(CSV, csv.toString());
        folder.write(MD, md.toString());
        return md.toString();
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** A number with the given decimals, or empty for none (a diverged trial). */
    private static String num(Object o, int decimals) {
        if (!(o instanceof Number n)) return "";
        return String.format(Locale.ROOT, "%." + decimals + "f", n.doubleValue());
    }

    /** Prints what the plan left out, and the listed values that no trial uses (they do not apply where they were given). */
    public static void reportSkipped(Plan plan, Map<Setting<?>, List<Object>> lists, PrintWriter w) {
        for (String s : plan.skipped()) w.println("left out " + s);
        for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) {
            for (Object v : e.getValue()) {
                boolean used = false;
                for (Trial t : plan.trials()) used |= java.util.Objects.equals(v, t.settings().get(e.getKey()));
                if (!used) w.println("note: " + e.getKey().option() + " " + formatted(e.getKey(), v) + " applies to none of the trials");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> String formatted(Setting<T> s, Object v) {
        return s.format((T) v);
    }
}
