package charlm.train;

import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.settings.Registry;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.util.List;

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

    private static final Registry<Factory> REGISTRY = new Registry<>("an optimizer", "--optimizer");

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

    /**
     * Registers an optimizer; reads names the settings it uses besides the learning rate, and so where
     * they apply (--beta1 only under the optimizers that read it).
     */
    public static void register(String name, Factory factory, Setting<?>... reads) {
        REGISTRY.register(name, factory, reads);
    }

    public static List<String> names() {
        return REGISTRY.names();
    }

    /** Whether setting changes anything under the optimizer s names. */
    static boolean applies(Setting<?> setting, Settings s) {
        return REGISTRY.applies(setting, s.get(TrainingSettings.OPTIMIZER));
    }

    /** The optimizer the settings name, for the given parameters. */
    public static Optimizer create(Settings settings, Parameters params, Workers workers) {
        return REGISTRY.get(settings.get(TrainingSettings.OPTIMIZER)).create(settings, params, workers);
    }
}
