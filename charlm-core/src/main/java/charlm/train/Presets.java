package charlm.train;

import charlm.data.Tokenizer;
import charlm.model.InputKind;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named sets of settings, for {@code --preset NAME}: a recipe to start from. Options given on the
 * command line override a preset's values, and a run records the settings it resolved to, never just
 * the preset's name. book is the chapter exactly (the defaults); text is the best recipe found for
 * a text of one's own in a short run, text-lstm the best in a longer one (measured on Tiny
 * Shakespeare; docs/training.md has the measurements); big is text for a text of hundreds of MB
 * (docs/big-text.md).
 */
public final class Presets {
    private Presets() {
    }

    /** A preset: what it is for, and the settings it changes from the defaults. */
    public record Preset(String name, String description, Map<Setting<?>, Object> values) {
        /** base with this preset's values applied. */
        public Settings applyTo(Settings base) {
            Settings s = base;
            for (Map.Entry<Setting<?>, Object> e : values.entrySet()) s = with(s, e.getKey(), e.getValue());
            return s;
        }

        @SuppressWarnings("unchecked")
        private static <T> Settings with(Settings s, Setting<T> setting, Object value) {
            return s.with(setting, (T) value);
        }
    }

    private static final Map<String, Preset> BY_NAME = new LinkedHashMap<>();

    static {
        register(new Preset("book", "the chapter's run: every default", Map.of()));
        Map<Setting<?>, Object> text = new LinkedHashMap<>();
        text.put(TrainingSettings.TOKENIZER, Tokenizer.CHARS);
        text.put(TrainingSettings.MAX_TOKENS, 0);
        text.put(TrainingSettings.VAL_FRACTION, 0.1);
        text.put(TrainingSettings.CELL, "gru");
        text.put(TrainingSettings.HIDDENS, 512);
        text.put(TrainingSettings.INPUT, InputKind.EMBEDDING);
        text.put(TrainingSettings.EMBED_DIM, 64);
        text.put(TrainingSettings.INIT, "uniform");
        text.put(TrainingSettings.FORGET_BIAS, 1.0);
        text.put(TrainingSettings.BATCH_SIZE, 32);
        text.put(TrainingSettings.NUM_STEPS, 64);
        text.put(TrainingSettings.OPTIMIZER, "adam");
        text.put(TrainingSettings.LR, 0.004);
        text.put(TrainingSettings.LR_SCHEDULE, "cosine");
        text.put(TrainingSettings.WARMUP_STEPS, 100);
        text.put(TrainingSettings.MIN_LR, 0.0001);
        text.put(TrainingSettings.DROPOUT, 0.2);
        text.put(TrainingSettings.EPOCHS, 10);
        register(new Preset("text", "a character GRU for a text of your own: every character kept, 10% held out, Adam with warm-up and a "
                + "cosine schedule, dropout (an LSTM's forget bias at 1 if --cell lstm is given)", text));
        // The same recipe with an LSTM: behind the GRU in a short run, ahead of it once a run is long
        // enough for the GRU to overfit (on Tiny Shakespeare from about ten minutes of two cores).
        Map<Setting<?>, Object> textLstm = new LinkedHashMap<>(text);
        textLstm.put(TrainingSettings.CELL, "lstm");
        register(new Preset("text-lstm", "as text with an LSTM (forget bias 1): for longer runs, where the GRU begins to overfit "
                + "(on Tiny Shakespeare, from about ten minutes of two cores)", textLstm));
        register(new Preset("big", "for a text far longer than a run reads (hundreds of MB): text-lstm's recipe on windows drawn from "
                + "anywhere in the text, with 1% held out, a fixed 1M-character sample of it scored every 1000 steps, a checkpoint every 10 "
                + "minutes; give --time-limit, which sets the cosine schedule's length (docs/big-text.md)", big(textLstm)));
    }

    /**
     * big: the text-lstm recipe made for a text much longer than a run can read (the Linux kernel's C
     * source): random windows, one hundredth held out and a fixed sample of it scored every 1000 steps,
     * checkpoints every ten minutes, and the schedule's length from --time-limit. Random windows because
     * sequential partitioning keeps each of the B streams in its own first stretch of a text no run
     * finishes (each read 108k characters of 100 MB in ten minutes), and the model fits those few files:
     * on the 100 MB cut at ten minutes the same recipe scored 1.5185 nats/char read sequentially and
     * 1.4004 at random (docs/big-text.md). Chosen from 10-minute runs, where the text preset's GRU
     * (favoured by 2-minute runs) and two layers of LSTM ended behind this one-layer LSTM.
     */
    static Map<Setting<?>, Object> big(Map<Setting<?>, Object> textLstm) {
        Map<Setting<?>, Object> big = new LinkedHashMap<>(textLstm);
        big.put(TrainingSettings.SAMPLING, Sampling.RANDOM);
        big.put(TrainingSettings.VAL_FRACTION, 0.01);
        big.put(TrainingSettings.EVAL_TOKENS, 1_000_000L);
        big.put(TrainingSettings.EVAL_EVERY, 1000);
        big.put(TrainingSettings.CHECKPOINT_EVERY, CheckpointInterval.parse("10m"));
        return big;
    }

    public static synchronized void register(Preset p) {
        if (BY_NAME.containsKey(p.name())) throw new IllegalArgumentException("a preset called " + p.name() + " is already registered");
        BY_NAME.put(p.name(), p);
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    /** The preset of that name, or null. */
    public static synchronized Preset get(String name) {
        return BY_NAME.get(name);
    }
}
