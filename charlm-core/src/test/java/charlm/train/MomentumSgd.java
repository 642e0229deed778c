package charlm.train;

import charlm.kernels.Workers;
import charlm.model.Parameters;
import java.util.Map;

/**
 * SGD with (heavy-ball) momentum, v ← μ v + g, x ← x − η v: an optimizer written in the tests, to show
 * that a new one is this class plus one {@link Optimizers#register} call ({@link OptimizerSeamTest}).
 */
final class MomentumSgd extends ElementwiseOptimizer {
    private final float mu;
    private final float[] velocity;
    private float eta;

    MomentumSgd(Parameters params, Workers workers, float mu) {
        super(params, workers);
        this.mu = mu;
        this.velocity = new float[params.size()];
    }

    @Override
    protected void prepare(double lr, long step) {
        eta = (float) lr;
    }

    @Override
    protected void update(float[] x, float[] g, int from, int to, boolean decay) {
        for (int i = from; i < to; i++) {
            float v = mu * velocity[i] + g[i];
            velocity[i] = v;
            x[i] -= eta * v;
        }
    }

    @Override
    public Map<String, float[]> state() {
        return Map.of("velocity", velocity);
    }
}
