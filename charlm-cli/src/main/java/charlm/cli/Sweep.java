package charlm.cli;

import charlm.CharlmException;
import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.io.AtomicFiles;
import charlm.io.Json;
import charlm.model.RnnModel;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Trainer;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
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

/**
 * A sweep: the grid of every combination of the settings' lists, each trial a whole training run in
 * a folder of its own, and the tables that rank them by held-out perplexity. The plan is a pure
 * function of the lists, so the same command always makes the same trials, in the same order, with
 * the same names: that is what lets a rerun skip finished trials and a job array run trial N alone.
 * Leaves out how trials are scheduled (threads here; other engines elsewhere).
 */
final class Sweep {
    static final String GRID = "sweep.json", RESULT = "result.json", CSV = "sweep.csv", MD = "sweep.md";

    private Sweep() {
    }

    /** One trial: its place in the grid, its folder name, its settings and the values that set it apart. */
    record Trial(int index, String name, Settings settings, Map<Setting<?>, Object> varying) {
    }

    /** The trials of a grid, the combinations left out (and why), and the settings that vary. */
    record Plan(List<Trial> trials, List<String> skipped, List<Setting<?>> varying) {
    }

    /**
     * Every combination of the lists (the first setting of the table outermost), leaving out those that
     * contradict themselves (GRU with --activation relu) and those that repeat another (two --embed-dim
     * values with one-hot input).
     */
    static Plan plan(Map<Setting<?>, List<Object>> lists) {
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
    static Map<String, Object> describe(Map<Setting<?>, List<Object>> lists) {
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

    /** A new folder for the grid, or the folder of this very grid (to continue it); anything else is refused. */
    static void prepare(Path dir, String gridJson) throws IOException {
        Path grid = dir.resolve(GRID);
        if (Files.isRegularFile(grid)) {
            if (!Files.readString(grid).equals(gridJson)) {
                throw new CharlmException("--out " + dir + " holds a different sweep (see its " + GRID + "); use a new folder to run this grid");
            }
            return;
        }
        RunDirectory.checkWritable(dir, false);
        AtomicFiles.writeString(grid, gridJson);
    }

    static boolean done(Path dir, Trial t) {
        return Files.isRegularFile(dir.resolve(t.name()).resolve(RESULT));
    }

    /** The corpora of a sweep, each read once: trials differ in their settings, rarely in their text. */
    static final class Corpora {
        private final Map<List<Object>, Corpus> read = new HashMap<>();

        synchronized TrainingData data(Settings s) {
            Path file = TrainingData.file(s);
            List<Object> key = List.of(file.toAbsolutePath().normalize(), s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS));
            Corpus c = read.computeIfAbsent(key, k -> Corpus.load(file, s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS)));
            return TrainingData.split(file, c, s);
        }
    }

    /**
     * Trains one trial into trialDir (a half-finished one starts over) and writes its result.json last,
     * atomically: a trial is done exactly when that file exists. Returns the result.
     */
    static Map<String, Object> runTrial(Trial t, Path trialDir, TrainingData data) throws IOException {
        try (RunDirectory run = RunDirectory.prepare(trialDir, true)) {
            return runTrial(t, run, data);
        }
    }

    private static Map<String, Object> runTrial(Trial t, RunDirectory run, TrainingData data) throws IOException {
        Settings s = t.settings();
        Path trialDir = run.dir;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("trial", t.name());
        result.put("index", t.index());
        long start = System.nanoTime();
        try (KernelsAndThreads engine = KernelsAndThreads.create(TrainingSettings.threads(s))) {
            run.writeConfig(Json.pretty(TrainCommand.config(data, engine, s)));
            RnnModel model = new RnnModel(TrainingSettings.modelConfig(s, data.corpus().vocab().size()), engine.kernels(), engine.workers());
            Rng rng = new Rng(s.get(TrainingSettings.SEED));
            model.initialize(rng);
            new Trainer(model, s, data.train(), data.validation(), rng).run(e -> {
                try {
                    run.recordEpoch(e);
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            });
            EpochStats last = run.history().get(run.history().size() - 1);
            EpochStats best = run.bestValidation();
            result.put("status", "done");
            result.put("train_perplexity", last.perplexity());
            result.put("val_perplexity", last.valPerplexity());
            result.put("best_val_perplexity", best.valPerplexity());
            result.put("best_val_epoch", best.epoch());
            result.put("tokens_per_sec", TrainCommand.medianSpeed(run));
        } catch (CharlmException e) {
            if (e.exitCode() != 3) throw e;
            result.put("status", "diverged");
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        result.put("seconds", (System.nanoTime() - start) / 1e9);
        result.put("settings", s.toJson());
        if (!run.history().isEmpty()) PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), run.evaluations(), "trial " + t.name());
        AtomicFiles.writeString(trialDir.resolve(RESULT), Json.pretty(result));
        return result;
    }

    /** One line for a finished trial. */
    static String summary(Map<String, Object> result) {
        return "trial " + result.get("trial") + ": " + ("done".equals(result.get("status"))
                ? String.format(Locale.ROOT, "train %.3f, validation %.3f, %.0f s", result.get("train_perplexity"),
                result.get("val_perplexity"), result.get("seconds"))
                : "diverged");
    }

    /** sweep.csv and sweep.md from the trials' result.json files, ranked by final held-out perplexity; returns the table. */
    static String writeTables(Path dir, Plan plan) throws IOException {
        List<Map<?, ?>> rows = new ArrayList<>();
        for (Trial t : plan.trials()) {
            Path r = dir.resolve(t.name()).resolve(RESULT);
            if (!Files.isRegularFile(r)) continue;
            Object parsed;
            try {
                parsed = Json.parse(Files.readString(r));
            } catch (RuntimeException e) {
                parsed = null;
            }
            if (!(parsed instanceof Map<?, ?> row)) {
                throw new CharlmException(r + " is damaged; delete it and run the sweep again to run that trial again");
            }
            rows.add(row);
        }
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
        AtomicFiles.writeString(dir.resolve(CSV), csv.toString());
        AtomicFiles.writeString(dir.resolve(MD), md.toString());
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
    static void reportSkipped(Plan plan, Map<Setting<?>, List<Object>> lists, PrintWriter w) {
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
