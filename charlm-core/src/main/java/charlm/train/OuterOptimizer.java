package charlm.train;

/**
 * How local SGD's driver moves the model after a round, taking the workers' mean parameter change Δ
 * (start − end) as its gradient; the names are --outer-optimizer's values.
 */
public enum OuterOptimizer {
    /** DiLoCo's: v ← μv + Δ, x ← x − η(Δ + μv), as torch.optim.SGD with nesterov=True. */
    NESTEROV,
    /** Heavy ball: v ← μv + Δ, x ← x − ηv; at μ = 0 and η = 1 the new model is the workers' mean. */
    SGD
}
