package charlm.train;

import java.io.Serializable;

/**
 * Where a round of local SGD stands on the run's --time-limit, as the driver tells its workers: the share
 * of the time budget used when the round begins, and the share each of its steps is expected to add (the
 * last round's seconds per step over the budget). A worker's schedule then follows the time as a
 * one-process run's does, without reading a clock, so its round stays a pure function of what it is sent
 * and runs again after a lost task with the same bits. Leaves out the limit itself: the driver ends the run.
 *
 * @param start   the share of the budget used when the round's first step begins
 * @param perStep the share each step is expected to add (0 before the first round, when nothing was timed)
 */
public record RoundClock(double start, double perStep) implements Serializable {
    /** For a run whose schedule runs over its steps alone (no --time-limit, or --max-steps given). */
    public static final RoundClock NONE = new RoundClock(0, 0);

    /** The share of the budget used when step i of the round (from 0) begins; may pass 1, which the schedule clamps. */
    public double at(int i) {
        return start + i * perStep;
    }
}
