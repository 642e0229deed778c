package charlm.train;

import charlm.kernels.Workers;

/**
 * The training loop's update on the worker pool, fused: one pass for the global norm, one pass that
 * clips, steps and clears the gradient (x ← x − η·s·g, g ← 0, with s = min(1, θ/‖g‖)), instead of
 * four serial passes over the parameter array. The per-element arithmetic of the update is that of
 * {@link Optimizer#clipGradients} followed by {@link Optimizer#sgd}. The norm is summed in double in
 * fixed chunks (each as four interleaved sums), then the chunks in order: the same value for any
 * number of threads, and equal to the plain serial sum up to rounding.
 */
final class ParallelSgd {
    private static final int CHUNKS = 64;

    private final Workers workers;
    private final double[] partial = new double[CHUNKS];
    private final Task task = new Task();

    ParallelSgd(Workers workers) {
        this.workers = workers;
    }

    /** ‖g‖ (before clipping). */
    double norm(float[] g) {
        task.phase = 0;
        task.g = g;
        workers.run(task);
        double sum = 0;
        for (double p : partial) sum += p;
        return Math.sqrt(sum);
    }

    /** x ← x − lr · (scale · g) where scale < 1 (clipping) or exactly g when scale is 1; then g ← 0. */
    void step(float[] x, float[] g, double lr, float scale, boolean clip) {
        task.phase = 1;
        task.x = x;
        task.g = g;
        task.eta = (float) lr;
        task.scale = scale;
        task.clip = clip;
        workers.run(task);
    }

    private final class Task implements Workers.Task {
        int phase;
        float[] x, g;
        float eta, scale;
        boolean clip;

        @Override
        public void run(int part, int parts) {
            int c0 = Workers.start(part, parts, CHUNKS, 1), c1 = Workers.end(part, parts, CHUNKS, 1);
            int n = g.length;
            for (int c = c0; c < c1; c++) {
                int i0 = Workers.start(c, CHUNKS, n, 16), i1 = Workers.end(c, CHUNKS, n, 16);
                if (phase == 0) {
                    // Four interleaved sums (a single chain waits on each add), combined in a fixed order.
                    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    int i = i0;
                    for (; i + 4 <= i1; i += 4) {
                        s0 += (double) g[i] * g[i];
                        s1 += (double) g[i + 1] * g[i + 1];
                        s2 += (double) g[i + 2] * g[i + 2];
                        s3 += (double) g[i + 3] * g[i + 3];
                    }
                    for (; i < i1; i++) s0 += (double) g[i] * g[i];
                    partial[c] = (s0 + s1) + (s2 + s3);
                } else {
                    for (int i = i0; i < i1; i++) {
                        float gi = clip ? g[i] * scale : g[i];
                        x[i] -= eta * gi;
                        g[i] = 0f;
                    }
                }
            }
        }
    }
}
