package charlm.train;

import charlm.kernels.Workers;
import charlm.model.Parameters;

/**
 * The chapter's d2l.sgd with the loss already a mean: x ← x − η g; with --weight-decay λ the matrices'
 * gradient gains λx first (L2 regularisation, as torch.optim.SGD).
 */
final class Sgd extends ElementwiseOptimizer {
    private final float weightDecay;
    private float eta;

    Sgd(Parameters params, Workers workers, double weightDecay) {
        super(params, workers);
        this.weightDecay = (float) weightDecay;
    }

    @Override
    protected void prepare(double lr, long step) {
        eta = (float) lr;
    }

    @Override
    protected void update(float[] x, float[] g, int from, int to, boolean decay) {
        float e = eta;
        if (decay && weightDecay != 0f) {
            float wd = weightDecay;
            for (int i = from; i < to; i++) x[i] -= e * (g[i] + wd * x[i]);
        } else {
            for (int i = from; i < to; i++) x[i] -= e * g[i];
        }
    }
}
