package charlm.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * A way to run a sweep's pending trials: threads of this process ({@link LocalThreads}), this process as
 * one task of a job array ({@link JobArrayTask}), or a cluster (charlm-spark's Spark, found through
 * {@link Cluster}). Each runs every trial through {@link SweepTrial#run} into the same {@link SweepFolder}
 * and hands back the results; the plan, the folder's grid and the ranked tables stay with the command.
 */
public interface SweepEngine {

    /** How the trials run, for the sweep's first line: ", 2 at a time" or " on Spark local[2]". */
    String how();

    /**
     * Runs the pending trials of plan (the grid as sweep.json holds it: gridJson) into folder; prints a line
     * as each trial finishes or fails; returns the results by trial index.
     */
    Map<Integer, Map<?, ?>> run(SweepFolder folder, String gridJson, SweepPlan plan, List<SweepPlan.Trial> pending, PrintWriter out)
            throws IOException;

    /** Engines on a cluster, found with ServiceLoader when {@code sweep --spark MASTER} asks for one; charlm-spark provides Spark's. */
    interface Cluster {
        /** The engine for master; refuses a malformed master, or trials it cannot run (a CharlmException: one line), before anything is written. */
        SweepEngine connect(String master, SweepPlan plan);
    }
}
