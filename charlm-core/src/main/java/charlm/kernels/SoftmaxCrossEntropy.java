package charlm.kernels;

/**
 * Softmax cross-entropy over rows of logits, forward and backward in one pass: for each row r,
 * loss_r = log Σ_v exp(o_rv) − o_r,y_r and dO_r = (softmax(o_r) − onehot(y_r)) · scale.
 * With V = 28 this is a few percent of a step, so one plain version serves as oracle and fast path.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /**
     * Rows [r0, r1) of logits (rows, V); writes each row's loss into rowLoss and, when dLogits is not
     * null, the scaled gradient. Max-subtracted, with the sums in double. exps (at least V) is the
     * caller's scratch for one row's exp(o − max), computed once for the sum and the gradient; a
     * caller running parts of the rows at the same time gives each part its own.
     */
    public static void forwardBackward(float[] logits, int v, int[] targets, int r0, int r1,
                                       double[] rowLoss, float[] dLogits, float scale, double[] exps) {
        for (int r = r0; r < r1; r++) {
            int row = r * v;
            float max = max(logits, row, v);
            double sum = sumExp(logits, row, v, max, exps);
            int y = targets[r];
            rowLoss[r] = Math.log(sum) - (logits[row + y] - max);
            if (dLogits != null) {
                double inv = 1.0 / sum;
                for (int j = 0; j < v; j++) dLogits[row + j] = (float) (exps[j] * inv) * scale;
                dLogits[row + y] -= scale;
            }
        }
    }

    /** Negative log-likelihood of one target under one row of logits (for evaluation). */
    public static double nll(float[] logits, int off, int v, int target) {
        float max = max(logits, off, v);
        return Math.log(sumExp(logits, off, v, max, null)) - (logits[off + target] - max);
    }

    /** The row's largest logit, subtracted before exp so that no exp overflows. */
    private static float max(float[] logits, int off, int v) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[off + j]);
        return max;
    }

    /** Σ_j exp(o_j − max) over the row, in double; each term also into exps (V) when it is not null. */
    private static double sumExp(float[] logits, int off, int v, float max, double[] exps) {
        double sum = 0;
        for (int j = 0; j < v; j++) {
            double e = Math.exp(logits[off + j] - max);
            if (exps != null) exps[j] = e;
            sum += e;
        }
        return sum;
    }
}
