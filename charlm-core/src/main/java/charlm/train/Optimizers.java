package charlm.train;

import charlm.CharlmException;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optimizers by name, for {@code --optimizer}, each with the settings it reads. Registering one
 * makes it a choice everywhere (train, bench, sweep, resume).
 */
public final class Optimizers {
    private Optimizers() {
    }

    /** Makes an optimizer for a model's parameters, reading its settings (rates, betas). */
    @FunctionalInterface
    public interface Factory {
        Optimizer create(Settings settings, Parameters params, Workers workers);
    }

    private record Entry(Factory factory, List<Setting<?>> reads) {
    }

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

    static {
        register("sgd", (s, p, w) -> new Sgd(p, w, s.get(TrainingSettings.WEIGHT_DECAY)), TrainingSettings.WEIGHT_DECAY);
        register("adam", (s, p, w) -> new Adam(p, w, false, s.get(TrainingSettings.BETA1), s.get(TrainingSettings.BETA2),
                s.get(TrainingSettings.EPS), s.get(TrainingSettings.WEIGHT_DECAY)),
                TrainingSettings.BETA1, TrainingSettings.BETA2, TrainingSettings.EPS, TrainingSettings.WEIGHT_DECAY);
        register("adamw", (s, p, w) -> new Adam(p, w, true, s.get(TrainingSettings.BETA1), s.get(TrainingSettings.BETA2),
                s.get(TrainingSettings.EPS), s.get(TrainingSettings.WEIGHT_DECAY)),
                TrainingSettings.BETA1, TrainingSettings.BETA2, TrainingSettings.EPS, TrainingSettings.WEIGHT_DECAY);
        register("rmsprop", (s, p, w) -> new RmsProp(p, w, s.get(TrainingSettings.RMS_ALPHA), s.get(TrainingSettings.EPS),
                s.get(TrainingSettings.WEIGHT_DECAY)), TrainingSettings.RMS_ALPHA, TrainingSettings.EPS, TrainingSettings.WEIGHT_DECAY);
    }

    /** Registers an optimizer; reads names the settings it uses besides the learning rate. */
    public static synchronized void register(String name, Factory factory, Setting<?>... reads) {
        if (BY_NAME.containsKey(name)) throw new IllegalArgumentException("an optimizer called " + name + " is already registered");
        BY_NAME.put(name, new Entry(factory, List.of(reads)));
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    static synchronized boolean reads(String optimizer, Setting<?> setting) {
        Entry e = BY_NAME.get(optimizer);
        return e != null && e.reads().contains(setting);
    }

    /** The optimizer the settings name, for the given parameters. */
    public static Optimizer create(Settings settings, Parameters params, Workers workers) {
        String name = settings.get(TrainingSettings.OPTIMIZER);
        Entry e;
        synchronized (Optimizers.class) {
            e = BY_NAME.get(name);
        }
        if (e == null) throw new CharlmException("--optimizer must be one of " + String.join(", ", names()) + ", got '" + name + "'");
        return e.factory().create(settings, params, workers);
    }
}
