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

    static TrainingListener all(TrainingListener... listeners) {
        return new TrainingListener() {
            @Override
            public void onEpoch(EpochStats stats) {
                for (TrainingListener l : listeners) l.onEpoch(stats);
            }

            @Override
            public void onEnd(EpochStats last) {
                for (TrainingListener l : listeners) l.onEnd(last);
            }
        };
    }
}
