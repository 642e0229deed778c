package charlm.train;

/**
 * How local SGD's driver moves the model after a round, taking the workers' mean parameter change Δ
 * (start − end) as its gradient; the names are --outer-optimizer's values.
 */
public enum OuterOptimizer {
    /** DiLoCo's: v ← μv + Δ, x ← x − η(Δ + μv), as torch.optim.SGD with nesterov=True; DiLoCo's rate and momentum. */
    NESTEROV(0.7, 0.9),
    /** Heavy ball: v ← μv + Δ, x ← x − ηv; at its own μ = 0 and η = 1 the new model is the workers' mean. */
    SGD(1.0, 0.0);

    /** The rate and momentum --outer-lr auto and --outer-momentum auto give this optimizer. */
    final double ownRate, ownMomentum;

    OuterOptimizer(double ownRate, double ownMomentum) {
        this.ownRate = ownRate;
        this.ownMomentum = ownMomentum;
    }
}
