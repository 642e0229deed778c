package charlm.train;

import charlm.kernels.Workers;
import charlm.model.Parameters;
import java.util.Map;

/**
 * RMSprop (Tieleman and Hinton, 2012) in the arithmetic of torch.optim.RMSprop (no momentum, not
 * centred): s ← α s + (1 − α) g², x ← x − η g / (√s + ε); weight decay λ adds λx to the matrices'
 * gradient first. The running mean of squares s is the state a checkpoint keeps.
 */
final class RmsProp extends ElementwiseOptimizer {
    private final double alpha, eps, weightDecay;
    private final float[] square;
    private float a, c, eta, epsilon, l2;

    RmsProp(Parameters params, Workers workers, double alpha, double eps, double weightDecay) {
        super(params, workers);
        this.alpha = alpha;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.square = new float[params.size()];
    }

    @Override
    protected void prepare(double lr, long step) {
        a = (float) alpha;
        c = (float) (1 - alpha);
        eta = (float) lr;
        epsilon = (float) eps;
        l2 = (float) weightDecay;
    }

    @Override
    protected void update(float[] x, float[] g, int from, int to, boolean decay) {
        boolean addL2 = decay && l2 != 0f;
        for (int i = from; i < to; i++) {
            float gi = addL2 ? g[i] + l2 * x[i] : g[i];
            float si = a * square[i] + c * (gi * gi);
            square[i] = si;
            x[i] -= eta * (gi / ((float) Math.sqrt(si) + epsilon));
        }
    }

    @Override
    public Map<String, float[]> state() {
        return Map.of("square", square);
    }
}
