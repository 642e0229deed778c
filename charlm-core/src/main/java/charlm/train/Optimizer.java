package charlm.train;

import java.util.Map;

/**
 * How the parameters follow their gradient, over the model's one flat parameter array and its
 * gradient. Clipping happens before {@link #step} and the caller clears the gradient after it.
 * An optimizer with state (moments, velocities) names it in {@link #state()}: each array is laid out
 * as the parameters, so a checkpoint stores it per tensor (e.g. {@code opt.m.W_hh}) and a resumed
 * run continues exactly. A new optimizer is one class plus one line in {@link Optimizers}.
 */
public interface Optimizer {

    /**
     * One update of x from its (clipped) gradient g at learning rate lr; step counts the updates of
     * the run from 1 (optimizers that correct a bias by it need it). Leaves g as it is.
     */
    void step(float[] x, float[] g, double lr, long step);

    /** The state to save by name, each array as long as the parameters; the live arrays, so loading copies into them. */
    default Map<String, float[]> state() {
        return Map.of();
    }
}
