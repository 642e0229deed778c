package charlm.train;

/**
 * A learning-rate schedule: the rate of each optimizer step as a function of where the run is, so a
 * resumed run gets the same rates. Progress runs from 0 to 1 over the run's horizon (its steps, or its
 * time limit) and the epoch counts from 1. A new schedule is one class plus one line in
 * {@link Schedules}; warm-up is applied on top of any of them by {@link Schedules}.
 */
@FunctionalInterface
public interface LearningRate {

    /**
     * @param step     the optimizer step about to be taken, from 1
     * @param progress how far through the run's horizon it is, in [0, 1] (after any warm-up)
     * @param epoch    the epoch it belongs to, from 1
     */
    double at(long step, double progress, int epoch);
}
