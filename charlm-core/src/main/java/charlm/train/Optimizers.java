package charlm.train;

import charlm.CharlmException;
import charlm.kernels.Workers;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The optimizers by name, for the {@code --optimizer} setting. Registering one makes it a choice everywhere. */
public final class Optimizers {
    private Optimizers() {
    }

    /** Makes an optimizer for a parameter array of size elements, reading its settings (rates, betas). */
    @FunctionalInterface
    public interface Factory {
        Optimizer create(Settings settings, int size, Workers workers);
    }

    private static final Map<String, Factory> BY_NAME = new LinkedHashMap<>();

    static {
        register("sgd", (s, size, w) -> new Sgd(w));
    }

    public static synchronized void register(String name, Factory factory) {
        if (BY_NAME.containsKey(name)) throw new IllegalArgumentException("an optimizer called " + name + " is already registered");
        BY_NAME.put(name, factory);
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    /** The optimizer the settings name, for parameters of the given size. */
    public static Optimizer create(Settings settings, int size, Workers workers) {
        String name = settings.get(TrainingSettings.OPTIMIZER);
        Factory f;
        synchronized (Optimizers.class) {
            f = BY_NAME.get(name);
        }
        if (f == null) throw new CharlmException("--optimizer must be one of " + String.join(", ", names()) + ", got '" + name + "'");
        return f.create(settings, size, workers);
    }
}
