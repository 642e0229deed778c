package charlm.train;

import charlm.kernels.Workers;
import charlm.model.Parameters;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019), in the arithmetic of
 * torch.optim.Adam / AdamW: with g the clipped gradient and t the step,
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
 *   x ← x − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε).
 * Weight decay λ (matrices only): Adam adds λx to g first (L2); AdamW instead shrinks x by (1 − ηλ)
 * before the step (decoupled). The moments m and v are the state a checkpoint keeps.
 */
final class Adam extends ElementwiseOptimizer {
    private final boolean decoupled;
    private final double beta1, beta2, eps, weightDecay;
    private final float[] m, v;
    private float b1, c1, b2, c2, stepSize, correction2, epsilon, shrink, l2;

    Adam(Parameters params, Workers workers, boolean decoupled, double beta1, double beta2, double eps, double weightDecay) {
        super(params, workers);
        this.decoupled = decoupled;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[params.size()];
        this.v = new float[params.size()];
    }

    @Override
    protected void prepare(double lr, long step) {
        b1 = (float) beta1;
        c1 = (float) (1 - beta1);
        b2 = (float) beta2;
        c2 = (float) (1 - beta2);
        stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        correction2 = (float) Math.sqrt(1 - Math.pow(beta2, step));
        epsilon = (float) eps;
        shrink = (float) (1 - lr * weightDecay);
        l2 = (float) weightDecay;
    }

    @Override
    protected void update(float[] x, float[] g, int from, int to, boolean decay) {
        boolean addL2 = decay && !decoupled && l2 != 0f, shrinks = decay && decoupled && l2 != 0f;
        for (int i = from; i < to; i++) {
            float gi = addL2 ? g[i] + l2 * x[i] : g[i];
            float mi = b1 * m[i] + c1 * gi;
            float vi = b2 * v[i] + c2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            float xi = shrinks ? x[i] * shrink : x[i];
            x[i] = xi - stepSize * (mi / ((float) Math.sqrt(vi) / correction2 + epsilon));
        }
    }

    @Override
    public Map<String, float[]> state() {
        Map<String, float[]> s = new LinkedHashMap<>();
        s.put("m", m);
        s.put("v", v);
        return s;
    }
}
