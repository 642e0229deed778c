package charlm.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run needs, besides the parameters, to continue exactly where it stopped, even inside an
 * epoch: how far it got, the generator's state now and at the start of the epoch (which draws the
 * epoch's offset and order again), the state carried across minibatches, the epoch's running loss, the
 * wall time used, the best held-out score and the evaluations since, and the optimizer's own state by
 * name (each array laid out as the parameters). Serializable: a local SGD worker's state travels with its
 * round (to a Spark executor and back).
 *
 * @param batchInEpoch   minibatches of the current epoch already trained; 0 at an epoch's end
 * @param epochStartRng  the generator before the current epoch's draws (null at an epoch's end)
 * @param carried        the state carried into the next minibatch (null at an epoch's end)
 * @param seconds        wall time used by the run so far, for --time-limit
 * @param workers        with --workers N, each worker's own state after the last round, in worker order (empty before the first round,
 *                       and for one process)
 */
public record TrainerState(int epochsDone, int batchInEpoch, long step, long[] rng, long[] epochStartRng, float[] carried,
                           double epochLossSum, long epochTokens, double epochSeconds, double seconds, double bestValidation,
                           int evalsSinceBest, Map<String, float[]> optimizer, java.util.List<TrainerState> workers)
        implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    public TrainerState {
        workers = java.util.List.copyOf(workers);
    }

    /** A run in one process: no workers' states. */
    public TrainerState(int epochsDone, int batchInEpoch, long step, long[] rng, long[] epochStartRng, float[] carried, double epochLossSum,
                        long epochTokens, double epochSeconds, double seconds, double bestValidation, int evalsSinceBest,
                        Map<String, float[]> optimizer) {
        this(epochsDone, batchInEpoch, step, rng, epochStartRng, carried, epochLossSum, epochTokens, epochSeconds, seconds, bestValidation,
                evalsSinceBest, optimizer, java.util.List.of());
    }

    /** At an epoch's end, with nothing more than the counts, the generator and the optimizer's state. */
    public static TrainerState atEpochEnd(int epochsDone, long step, long[] rng, Map<String, float[]> optimizer) {
        return new TrainerState(epochsDone, 0, step, rng, null, null, 0, 0, 0, 0, Double.POSITIVE_INFINITY, 0, optimizer);
    }

    static Map<String, float[]> copy(Map<String, float[]> state) {
        Map<String, float[]> m = new LinkedHashMap<>();
        state.forEach((k, v) -> m.put(k, v.clone()));
        return m;
    }

    /** Copies the saved optimizer state into the live arrays of a new optimizer; names and sizes must match. */
    void copyOptimizerStateInto(Map<String, float[]> live) {
        if (!live.keySet().equals(optimizer.keySet())) {
            throw new IllegalArgumentException("optimizer state has " + optimizer.keySet() + ", the optimizer needs " + live.keySet());
        }
        live.forEach((k, v) -> {
            float[] saved = optimizer.get(k);
            if (saved.length != v.length) throw new IllegalArgumentException("optimizer state " + k + " has " + saved.length + " values, expected " + v.length);
            System.arraycopy(saved, 0, v, 0, v.length);
        });
    }
}
