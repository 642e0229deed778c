package charlm.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall time of the worker pool's tasks, by name: where a training step's time goes. {@link Workers}
 * adds to it while it is set ({@link Workers#timePhases}); a phase's time runs from handing out its
 * parts to the last part's end, so it includes waiting for the slower thread. Work the calling thread
 * does between runs is not in it. Used by one thread (the one that calls run).
 */
public final class PhaseTimes {
    /** The name of tasks made without one. */
    public static final String UNNAMED = "other pool tasks";

    /** One phase: its total wall time and how many runs it took. */
    public record Phase(String name, long nanos, long runs) {
    }

    private final Map<String, long[]> byName = new HashMap<>(); // name -> {nanos, runs}

    void add(String name, long nanos) {
        long[] t = byName.computeIfAbsent(name, k -> new long[2]);
        t[0] += nanos;
        t[1]++;
    }

    /** The phases, longest first. */
    public List<Phase> phases() {
        List<Phase> out = new ArrayList<>();
        byName.forEach((name, t) -> out.add(new Phase(name, t[0], t[1])));
        out.sort(Comparator.comparingLong(Phase::nanos).reversed().thenComparing(Phase::name));
        return out;
    }

    /** The wall time of all phases together. */
    public long totalNanos() {
        long sum = 0;
        for (long[] t : byName.values()) sum += t[0];
        return sum;
    }
}
