package charlm.model;

import charlm.data.Rng;

/**
 * How a model's parameters start. Each tensor is known by its {@link Parameters.Role}, so one
 * initialisation serves every cell. A new one is one class plus one line in {@link Initializers}.
 */
@FunctionalInterface
public interface Initializer {

    /** Sets every parameter, drawing from rng in declaration order. */
    void initialize(Parameters params, Rng rng);
}
