package charlm.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run needs, besides the parameters, to continue exactly where it stopped: epochs and
 * optimizer steps done, the generator's state, and the optimizer's own state by name (each array
 * laid out as the parameters).
 */
public record TrainerState(int epochsDone, long step, long[] rng, Map<String, float[]> optimizer) {

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
