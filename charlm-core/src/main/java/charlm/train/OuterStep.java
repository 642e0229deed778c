package charlm.train;

import java.util.Map;

/**
 * Local SGD's outer optimizer on the driver, as an {@link Optimizer} whose "gradient" is the workers'
 * mean parameter change Δ = start − end of a round: its velocity is then saved and resumed by name as any
 * optimizer's moments are. One plain loop: it runs once a round, not once a minibatch.
 */
final class OuterStep implements Optimizer {
    private final OuterOptimizer kind;
    private final float momentum;
    private final float[] velocity; // (P) laid out as the parameters

    OuterStep(OuterOptimizer kind, double momentum, int size) {
        this.kind = kind;
        this.momentum = (float) momentum;
        this.velocity = new float[size];
    }

    @Override
    public void step(float[] x, float[] delta, double lr, long step) {
        float eta = (float) lr, mu = momentum;
        for (int i = 0; i < x.length; i++) {
            float v = mu * velocity[i] + delta[i];
            velocity[i] = v;
            x[i] -= eta * (kind == OuterOptimizer.NESTEROV ? delta[i] + mu * v : v);
        }
    }

    @Override
    public Map<String, float[]> state() {
        return Map.of("outer_velocity", velocity);
    }
}
