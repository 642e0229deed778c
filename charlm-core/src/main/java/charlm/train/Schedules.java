package charlm.train;

import charlm.CharlmException;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    private record Entry(Factory factory, List<Setting<?>> reads) {
    }

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

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

    /** Registers a schedule; reads names the settings it uses (a sweep lists their values only where they apply). */
    public static synchronized void register(String name, Factory factory, Setting<?>... reads) {
        if (BY_NAME.containsKey(name)) throw new IllegalArgumentException("a schedule called " + name + " is already registered");
        BY_NAME.put(name, new Entry(factory, List.of(reads)));
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    static synchronized boolean reads(String schedule, Setting<?> setting) {
        Entry e = BY_NAME.get(schedule);
        return e != null && e.reads().contains(setting);
    }

    /**
     * The schedule the settings name, with warm-up: the first --warmup-steps steps rise linearly to the
     * schedule's rate; progress then counts from the end of the warm-up.
     */
    public static LearningRate create(Settings settings) {
        String name = settings.get(TrainingSettings.LR_SCHEDULE);
        Entry e;
        synchronized (Schedules.class) {
            e = BY_NAME.get(name);
        }
        if (e == null) throw new CharlmException("--lr-schedule must be one of " + String.join(", ", names()) + ", got '" + name + "'");
        LearningRate schedule = e.factory().create(settings);
        int warmup = settings.get(TrainingSettings.WARMUP_STEPS);
        if (warmup == 0) return schedule;
        return (step, progress, epoch) -> step <= warmup ? schedule.at(step, 0, epoch) * step / warmup : schedule.at(step, progress, epoch);
    }
}
