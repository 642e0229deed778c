package charlm.sweep;

import charlm.CharlmException;
import charlm.io.Json;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.train.TrainingSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The plan of a sweep: every combination of the settings' lists, each a trial with a folder name of
 * its own. A pure function of the grid, so the same grid always makes the same trials, in the same
 * order, with the same names: that is what lets a rerun skip finished trials, a job array run trial N
 * alone and a Spark executor find the driver's trial N. Leaves out running the trials ({@link SweepTrial})
 * and ranking them ({@link SweepTables}).
 *
 * @param trials  the trials, in the grid's order (the first setting outermost)
 * @param skipped the combinations left out, each with the reason
 * @param varying the settings whose lists have more than one value
 */
public record SweepPlan(List<Trial> trials, List<String> skipped, List<Setting<?>> varying) {

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

    /**
     * A sweep's grid: the values of every setting, and which settings were typed rather than left at a
     * default, for the rule a trial resolves its settings by ({@link TrainingSettings#resolve}: epochs
     * that were not typed do not end a time-limited trial sooner).
     */
    public record Grid(Map<Setting<?>, List<Object>> lists, Set<Setting<?>> typed) {
        /** Settings whose being typed changes a trial's settings; sweep.json names them only where they were not. */
        private static final List<Setting<?>> TYPED_MATTERS = List.of(TrainingSettings.EPOCHS);
        private static final String UNTYPED = "untyped";

        public Grid {
            lists = new LinkedHashMap<>(lists);
            typed = Set.copyOf(typed);
        }

        /**
         * The grid as sweep.json holds it: every list, and (only for a time-limited grid, where it
         * matters) the settings of {@link #TYPED_MATTERS} that were not typed; a folder holds one grid only.
         */
        public String json() {
            Map<String, Object> g = new LinkedHashMap<>();
            for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) {
                List<Object> json = new ArrayList<>();
                for (Object v : e.getValue()) json.add(toJson(e.getKey(), v));
                g.put(e.getKey().key(), json);
            }
            List<Object> untyped = new ArrayList<>();
            if (lists.getOrDefault(TrainingSettings.TIME_LIMIT, List.of()).stream().anyMatch(Objects::nonNull)) {
                for (Setting<?> s : TYPED_MATTERS) if (!typed.contains(s)) untyped.add(s.key());
            }
            if (!untyped.isEmpty()) g.put(UNTYPED, untyped);
            return Json.pretty(g);
        }

        /**
         * The grid back from its {@link #json}, so that another process (a Spark executor, --collect)
         * plans the very same trials; a setting the grid does not name keeps its default, and every
         * setting counts as typed unless the grid says otherwise (as in grids written before it could).
         */
        public static Grid parse(String gridJson, String where) {
            Object parsed;
            try {
                parsed = Json.parse(gridJson);
            } catch (IllegalArgumentException e) {
                throw new CharlmException(where + " is damaged (" + e.getMessage() + ")");
            }
            if (!(parsed instanceof Map<?, ?> grid)) throw new CharlmException(where + " is damaged (not a JSON object)");
            Map<Setting<?>, List<Object>> lists = new LinkedHashMap<>();
            Set<Setting<?>> typed = new HashSet<>(TrainingSettings.all());
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
            if (grid.get(UNTYPED) instanceof List<?> untyped) {
                for (Setting<?> s : TYPED_MATTERS) if (untyped.contains(s.key())) typed.remove(s);
            }
            return new Grid(lists, typed);
        }
    }

    /**
     * Every combination of the grid's lists (the first setting of the table outermost), leaving out those
     * that contradict themselves (GRU with --activation relu) and those that repeat another (two --embed-dim
     * values with one-hot input). Each trial's settings are resolved as train resolves its own
     * ({@link TrainingSettings#resolve}), except that a value that does not apply is put back to its
     * default even when typed: it was typed for the trials where it does.
     */
    public static SweepPlan of(Grid grid) {
        Map<Setting<?>, List<Object>> lists = grid.lists();
        List<Setting<?>> varying = new ArrayList<>();
        for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) if (e.getValue().size() > 1) varying.add(e.getKey());
        List<Trial> trials = new ArrayList<>();
        Set<String> skipped = new LinkedHashSet<>();
        List<Setting<?>> settings = new ArrayList<>(lists.keySet());
        int[] at = new int[settings.size()];
        Settings defaults = TrainingSettings.book();
        Map<String, Integer> seen = new HashMap<>();
        Set<Settings> distinct = new HashSet<>();
        boolean epochsTyped = grid.typed().contains(TrainingSettings.EPOCHS);
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
            if (!distinct.add(TrainingSettings.withoutWhatDoesNotApply(s))) {
                if (!advance(at, settings, lists)) break;
                continue;
            }
            Map<Setting<?>, Object> shown = new LinkedHashMap<>();
            for (Map.Entry<Setting<?>, Object> e : values.entrySet()) if (TrainingSettings.applies(e.getKey(), s)) shown.put(e.getKey(), e.getValue());
            try {
                Settings resolved = TrainingSettings.resolve(s, setting -> setting == TrainingSettings.EPOCHS && epochsTyped);
                String name = name(shown);
                int n = seen.merge(name, 1, Integer::sum);
                trials.add(new Trial(trials.size(), n == 1 ? name : name + "_" + n, resolved, shown));
            } catch (CharlmException e) {
                skipped.add(name(shown) + ": " + e.getMessage());
            }
            if (!advance(at, settings, lists)) break;
        }
        if (trials.isEmpty()) {
            throw new CharlmException("the sweep has no trial left: every combination was left out (" + String.join("; ", skipped) + ")");
        }
        return new SweepPlan(trials, new ArrayList<>(skipped), varying);
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

    @SuppressWarnings("unchecked")
    private static <T> Object toJson(Setting<T> s, Object value) {
        return s.toJson((T) value);
    }

    /** Prints what the plan left out, and the listed values that no trial uses (they do not apply where they were given). */
    public void reportSkipped(Map<Setting<?>, List<Object>> lists, PrintWriter w) {
        for (String s : skipped) w.println("left out " + s);
        for (Map.Entry<Setting<?>, List<Object>> e : lists.entrySet()) {
            for (Object v : e.getValue()) {
                boolean used = false;
                for (Trial t : trials) used |= Objects.equals(v, t.settings().get(e.getKey()));
                if (!used) w.println("note: " + e.getKey().option() + " " + formatted(e.getKey(), v) + " applies to none of the trials");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> String formatted(Setting<T> s, Object v) {
        return s.format((T) v);
    }
}
