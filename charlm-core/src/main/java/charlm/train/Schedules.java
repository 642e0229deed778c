package charlm.train;

import charlm.settings.Registry;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.util.List;

/**
 * The learning-rate schedules by name, for {@code --lr-schedule}, each with the settings it reads:
 * constant (the chapter's), cosine (from --lr down to --min-lr over the run) and step (times
 * --lr-decay every --lr-decay-every epochs). Any of them starts with --warmup-steps of linear warm-up
 * from 0.
 */
public final class Schedules {
    private Schedules() {
    }

    @FunctionalInterface
    public interface Factory {
        LearningRate create(Settings settings);
    }

    private static final Registry<Factory> REGISTRY = new Registry<>("a schedule", "--lr-schedule");

    static {
        register("constant", s -> {
            double lr = s.get(TrainingSettings.LR);
            return (step, progress, epoch) -> lr;
        });
        register("cosine", s -> {
            double lr = s.get(TrainingSettings.LR), min = s.get(TrainingSettings.MIN_LR);
            return (step, progress, epoch) -> min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
        }, TrainingSettings.MIN_LR);
        register("step", s -> {
            double lr = s.get(TrainingSettings.LR), factor = s.get(TrainingSettings.LR_DECAY);
            int every = s.get(TrainingSettings.LR_DECAY_EVERY);
            return (step, progress, epoch) -> lr * Math.pow(factor, (epoch - 1) / every);
        }, TrainingSettings.LR_DECAY, TrainingSettings.LR_DECAY_EVERY);
    }

    /**
     * Registers a schedule; reads names the settings it uses besides --lr and --warmup-steps (which every
     * schedule reads), and so where they apply (--min-lr only under cosine).
     */
    public static void register(String name, Factory factory, Setting<?>... reads) {
        REGISTRY.register(name, factory, reads);
    }

    public static List<String> names() {
        return REGISTRY.names();
    }

    /** Whether setting changes anything under the schedule s names. */
    static boolean applies(Setting<?> setting, Settings s) {
        return REGISTRY.applies(setting, s.get(TrainingSettings.LR_SCHEDULE));
    }

    /**
     * The schedule the settings name, with warm-up: the first --warmup-steps steps rise linearly to the
     * schedule's rate; progress then counts from the end of the warm-up.
     */
    public static LearningRate create(Settings settings) {
        LearningRate schedule = REGISTRY.get(settings.get(TrainingSettings.LR_SCHEDULE)).create(settings);
        int warmup = settings.get(TrainingSettings.WARMUP_STEPS);
        if (warmup == 0) return schedule;
        return (step, progress, epoch) -> step <= warmup ? schedule.at(step, 0, epoch) * step / warmup : schedule.at(step, progress, epoch);
    }
}
