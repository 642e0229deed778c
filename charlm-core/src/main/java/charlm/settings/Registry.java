package charlm.settings;

import charlm.CharlmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The things one setting chooses among by name (the optimizers of --optimizer, the schedules of
 * --lr-schedule), each registered with the settings it reads. What they register is the one place that
 * says where such a setting applies: a setting that some of them read applies only under those. Leaves
 * out what the things are: F is whatever makes one.
 */
public final class Registry<F> {
    private record Entry<F>(F factory, List<Setting<?>> reads) {
    }

    private final String kind;
    private final String option;
    private final Map<String, Entry<F>> byName = new LinkedHashMap<>();

    /** kind names one thing in words ("an optimizer"); option is the setting that chooses ("--optimizer"). */
    public Registry(String kind, String option) {
        this.kind = kind;
        this.option = option;
    }

    /**
     * Makes name a choice everywhere (train, bench, sweep, resume). reads names the settings it uses that
     * not every choice uses: one listed here applies only under the choices that list it.
     */
    public synchronized void register(String name, F factory, Setting<?>... reads) {
        if (byName.containsKey(name)) throw new IllegalArgumentException(kind + " called " + name + " is already registered");
        byName.put(name, new Entry<>(factory, List.of(reads)));
    }

    /** The names, in the order they were registered. */
    public synchronized List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    /** What makes the thing called name; an unknown name is one clear CharlmException. */
    public F get(String name) {
        Entry<F> e;
        synchronized (this) {
            e = byName.get(name);
        }
        if (e == null) throw new CharlmException(option + " must be one of " + String.join(", ", names()) + ", got '" + name + "'");
        return e.factory();
    }

    /** Whether setting changes anything when chosen is the choice: always, unless something registered here reads it. */
    public synchronized boolean applies(Setting<?> setting, String chosen) {
        Entry<F> e = byName.get(chosen);
        if (e != null && e.reads().contains(setting)) return true;
        for (Entry<F> other : byName.values()) if (other.reads().contains(setting)) return false;
        return true;
    }
}
