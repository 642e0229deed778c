package charlm.run;

import charlm.train.LocalSgd;

/**
 * Where {@code train --spark MASTER} runs its local SGD workers: found with ServiceLoader, as the
 * sweep's {@link charlm.sweep.SweepEngine.Cluster}; charlm-spark provides Spark's.
 */
public interface TrainingCluster {
    /**
     * An engine of rounds for job on master, ready to run; refuses (a CharlmException: one line) a
     * malformed or unreachable master before anything is written.
     */
    LocalSgd.Engine connect(String master, LocalSgd.Job job);
}
