package charlm.train;

import charlm.CharlmException;
import charlm.model.CellType;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.settings.Settings;
import java.util.Locale;

/**
 * What a run will hold in memory, worked out in long arithmetic from the settings before anything is
 * allocated, so that a model too large for this Java is one clear line, never an OutOfMemoryError or
 * an int that overflowed into a negative array size. Deliberately an upper bound: every buffer a cell
 * may keep per time step is counted, whatever the cell.
 */
public final class MemoryPlan {
    /** floats of per-step buffers a layer keeps for T·B rows of H, at most (an LSTM's gates and their gradients, C, tanh C, h, dH). */
    static final int PER_ROW_BUFFERS = 14;
    /** The largest float[] a JVM allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private MemoryPlan() {
    }

    /** The parameters of the model the settings describe, for a vocabulary of V tokens. */
    public static long parameters(Settings s, long vocab) {
        CellType cell = Cells.get(s.get(TrainingSettings.CELL));
        long h = s.get(TrainingSettings.HIDDENS), layers = s.get(TrainingSettings.LAYERS);
        boolean embedding = s.get(TrainingSettings.INPUT) == InputKind.EMBEDDING;
        long e = embedding ? s.get(TrainingSettings.EMBED_DIM) : 0;
        long n = embedding ? Math.multiplyExact(vocab, e) : 0;
        n = Math.addExact(n, cell.parameterCount(embedding ? e : vocab, h));
        n = Math.addExact(n, Math.multiplyExact(layers - 1, cell.parameterCount(h, h)));
        return Math.addExact(n, Math.addExact(Math.multiplyExact(h, vocab), vocab));
    }

    /**
     * Bytes a training run needs: parameters, gradients, the optimizer's state and a transposed copy of
     * the recurrent weights; the tape (one per minibatch of an epoch without detaching); the evaluation's
     * single-step tape. Throws ArithmeticException on overflow (a size beyond any machine).
     */
    public static long trainingBytes(Settings s, long vocab, long minibatchesPerEpoch) {
        long p = parameters(s, vocab);
        long slots = 2 + 2 + 1; // data, grad, up to two optimizer moments, transposes
        long rows = Math.multiplyExact((long) s.get(TrainingSettings.BATCH_SIZE), s.get(TrainingSettings.NUM_STEPS));
        long h = s.get(TrainingSettings.HIDDENS), layers = s.get(TrainingSettings.LAYERS);
        long tape = Math.multiplyExact(rows, Math.addExact(Math.multiplyExact(layers, Math.multiplyExact(h, PER_ROW_BUFFERS + 2)),
                Math.addExact(Math.multiplyExact(vocab, 2), 2L * s.get(TrainingSettings.EMBED_DIM))));
        long tapes = s.get(TrainingSettings.DETACH) ? 1 : Math.max(1, minibatchesPerEpoch);
        long floats = Math.addExact(Math.multiplyExact(p, slots), Math.multiplyExact(tape, tapes));
        return Math.multiplyExact(floats, 4L);
    }

    /**
     * Refuses, with what it needs, what there is and what to change, a run this Java cannot hold: a
     * parameter array beyond Java's largest, or more bytes than the heap may grow to.
     */
    public static void check(Settings s, long vocab, long minibatchesPerEpoch, Runtime runtime) {
        long params, bytes;
        try {
            params = parameters(s, vocab);
            bytes = trainingBytes(s, vocab, minibatchesPerEpoch);
        } catch (ArithmeticException e) {
            throw new CharlmException("the model of --hiddens " + s.get(TrainingSettings.HIDDENS) + " x --layers " + s.get(TrainingSettings.LAYERS)
                    + " is beyond any machine's memory; choose a smaller --hiddens");
        }
        if (params > MAX_ARRAY) {
            throw new CharlmException(String.format(Locale.ROOT, "a model of %,d parameters does not fit in one Java array (at most %,d); "
                    + "choose a smaller --hiddens or --layers", params, MAX_ARRAY));
        }
        long heap = runtime.maxMemory();
        // What the JVM itself already uses (classes, the text) stays; count the heap that is left.
        long free = heap - (runtime.totalMemory() - runtime.freeMemory());
        if (bytes > free) {
            throw new CharlmException(String.format(Locale.ROOT, "the model (%,d parameters) and its training buffers need about %s, and this Java "
                    + "may use %s more (of %s); choose a smaller --hiddens, --layers or --batch-size x --num-steps%s, or give Java more memory "
                    + "(JAVA_OPTS=-Xmx...)", params, size(bytes), size(free), size(heap),
                    s.get(TrainingSettings.DETACH) ? "" : " (--no-detach keeps every minibatch of an epoch)"));
        }
    }

    static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MB", Math.max(1, bytes >> 20));
    }
}
