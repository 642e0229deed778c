package charlm.train;

import charlm.kernels.ArrayPasses;

/**
 * The chapter's gradient clipping, g ← min(1, θ/‖g‖) g with ‖g‖ the L2 norm over every parameter at
 * once, as its own step before the optimizer. The plain version ({@link #clipGradients}) is the
 * chapter's loop and the twin the parallel one is tested against.
 */
public final class GradientClipping {
    private final ArrayPasses passes;
    private final double theta;

    /** theta = {@link Double#POSITIVE_INFINITY} never clips (only the norm is computed, to catch a diverging run). */
    public GradientClipping(ArrayPasses passes, double theta) {
        if (!(theta > 0)) throw new IllegalArgumentException("theta must be positive, got " + theta);
        this.passes = passes;
        this.theta = theta;
    }

    /** ‖g‖, summed in double in fixed chunks: the same value for any number of threads. */
    public double norm(float[] g) {
        return Math.sqrt(passes.sumOfSquares(g));
    }

    /** Scales g onto the ball of radius θ when norm (its norm) is above θ; returns whether it did. */
    public boolean clip(float[] g, double norm) {
        if (!(norm > theta)) return false;
        passes.scale(g, (float) (theta / norm));
        return true;
    }

    /** The global L2 norm of g, the plain serial sum in double. */
    public static double plainNorm(float[] g) {
        double sum = 0;
        for (float v : g) sum += (double) v * v;
        return Math.sqrt(sum);
    }

    /** The chapter's grad_clipping as one plain loop; returns the norm before clipping. */
    public static double clipGradients(float[] g, double theta) {
        double norm = plainNorm(g);
        if (norm > theta) {
            float scale = (float) (theta / norm);
            for (int i = 0; i < g.length; i++) g[i] *= scale;
        }
        return norm;
    }
}
