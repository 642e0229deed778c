package charlm.train;

/**
 * How a training run reports. The command line plugs in progress lines, CSV, the plot and
 * checkpoints; the core prints nothing by itself. Only the epoch is required.
 */
@FunctionalInterface
public interface TrainingListener {
    void onEpoch(EpochStats stats);

    /** After every minibatch. */
    default void onMinibatch(Progress progress) {
    }

    /** Before every scoring of the held-out text (bench --profile keeps its phases apart from training's). */
    default void onEvaluationStart() {
    }

    /** After every scoring of the held-out text. */
    default void onEvaluation(Evaluation evaluation) {
    }

    /** When the run stops: the last whole epoch (null if none finished) and why. */
    default void onEnd(EpochStats last, Trainer.Stop why) {
    }
}
