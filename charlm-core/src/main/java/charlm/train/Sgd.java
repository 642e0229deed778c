package charlm.train;

import charlm.kernels.Workers;

/** The chapter's d2l.sgd with the loss already a mean: x ← x − η g. */
final class Sgd extends ElementwiseOptimizer {
    private float eta;

    Sgd(Workers workers) {
        super(workers);
    }

    @Override
    protected void prepare(double lr, long step) {
        eta = (float) lr;
    }

    @Override
    protected void update(float[] x, float[] g, int from, int to) {
        float e = eta;
        for (int i = from; i < to; i++) x[i] -= e * g[i];
    }
}
