package charlm.train;

/**
 * The chapter's update, as flat loops over the one parameter array:
 * g ← min(1, θ/‖g‖) g  (global L2 norm over every parameter), then x ← x − η g.
 */
public final class Optimizer {
    private Optimizer() {
    }

    /** The global L2 norm of g, accumulated in double. */
    public static double norm(float[] g) {
        double sum = 0;
        for (float v : g) sum += (double) v * v;
        return Math.sqrt(sum);
    }

    /** Scales g onto the ball of radius θ when its norm is above θ; returns the norm before clipping. */
    public static double clipGradients(float[] g, double theta) {
        double norm = norm(g);
        if (norm > theta) {
            float scale = (float) (theta / norm);
            for (int i = 0; i < g.length; i++) g[i] *= scale;
        }
        return norm;
    }

    /** Plain SGD: x ← x − lr · g. */
    public static void sgd(float[] x, float[] g, double lr) {
        float eta = (float) lr;
        for (int i = 0; i < x.length; i++) x[i] -= eta * g[i];
    }
}
