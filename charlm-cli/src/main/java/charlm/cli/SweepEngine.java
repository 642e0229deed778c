package charlm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * Runs a sweep's trials somewhere other than this process's threads, such as a cluster. Found with
 * ServiceLoader when {@code sweep --spark MASTER} asks for one; charlm-spark provides Spark's. An engine
 * runs each pending trial through {@link Sweep#runTrial} into the same {@link SweepFolder} and hands
 * back the results; planning, the folder's grid and the ranked tables stay with the command.
 */
public interface SweepEngine {

    /** Refuses a malformed master, or trials the engine cannot run (a CharlmException: one line), before anything is written. */
    void check(String master, Sweep.Plan plan);

    /**
     * Runs the pending trials of plan (the grid as sweep.json holds it: gridJson), each as one task, into
     * folder; prints a line as each trial finishes or fails; returns the results by trial index.
     */
    Map<Integer, Map<?, ?>> run(String master, SweepFolder folder, String gridJson, Sweep.Plan plan, List<Sweep.Trial> pending, PrintWriter out)
            throws IOException;
}
