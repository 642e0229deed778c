package charlm.run;

import charlm.CharlmException;
import charlm.data.BookSource;
import charlm.data.Corpus;
import charlm.settings.Settings;
import charlm.train.MemoryPlan;
import charlm.train.TrainingSettings;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The text of a run as token streams: the file it came from, the whole corpus with its vocabulary,
 * the stream trained on and the held-out tail (null without --val-fraction).
 */
public record TrainingData(Path file, Corpus corpus, int[] train, int[] validation) {

    /** The data file the settings name, or the book (cached or downloaded). */
    public static Path file(Settings s) {
        return BookSource.timeMachine().resolve(s.get(TrainingSettings.DATA));
    }

    /** Reads the text the settings name and splits it. */
    public static TrainingData load(Settings s) {
        Path file = file(s);
        return split(file, Corpus.load(file, s.get(TrainingSettings.TOKENIZER), s.get(TrainingSettings.MAX_TOKENS)), s);
    }

    /** Refuses, before anything is allocated, a model and buffers this Java cannot hold (one clear line). */
    public void checkMemory(Settings s) {
        long perEpoch = train.length / Math.max(1L, (long) s.get(TrainingSettings.BATCH_SIZE) * s.get(TrainingSettings.NUM_STEPS));
        MemoryPlan.check(s, corpus.vocab().size(), perEpoch, Runtime.getRuntime());
    }

    /** Holds out the last fraction of the stream, as --val-fraction says. */
    public static TrainingData split(Path file, Corpus corpus, Settings s) {
        int[] all = corpus.tokens();
        double fraction = s.get(TrainingSettings.VAL_FRACTION);
        if (fraction == 0) return new TrainingData(file, corpus, all, null);
        int val = (int) Math.round(all.length * fraction);
        if (val < 2) {
            throw new CharlmException("--val-fraction " + fraction + " of " + all.length + " tokens holds out fewer than 2; use a larger fraction or more text");
        }
        return new TrainingData(file, corpus, Arrays.copyOf(all, all.length - val), Arrays.copyOfRange(all, all.length - val, all.length));
    }
}
