package charlm.train;

/**
 * How a training run reports. The command line plugs in progress lines, CSV, the plot and
 * checkpoints; the core prints nothing by itself.
 */
@FunctionalInterface
public interface TrainingListener {
    void onEpoch(EpochStats stats);

    /** Called after the last epoch. */
    default void onEnd(EpochStats last) {
    }
}
