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
     * null, the scaled gradient. Max-subtracted, with the sums in double.
     */
    public static void forwardBackward(float[] logits, int v, int[] targets, int r0, int r1,
                                       double[] rowLoss, float[] dLogits, float scale) {
        double[] e = new double[v]; // the row's exp(o − max), computed once for the sum and the gradient
        for (int r = r0; r < r1; r++) {
            int row = r * v;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[row + j]);
            double sum = 0;
            for (int j = 0; j < v; j++) {
                e[j] = Math.exp(logits[row + j] - max);
                sum += e[j];
            }
            int y = targets[r];
            rowLoss[r] = Math.log(sum) - (logits[row + y] - max);
            if (dLogits != null) {
                double inv = 1.0 / sum;
                for (int j = 0; j < v; j++) dLogits[row + j] = (float) (e[j] * inv) * scale;
                dLogits[row + y] -= scale;
            }
        }
    }

    /** Negative log-likelihood of one target under one row of logits (for evaluation). */
    public static double nll(float[] logits, int off, int v, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[off + j]);
        double sum = 0;
        for (int j = 0; j < v; j++) sum += Math.exp(logits[off + j] - max);
        return Math.log(sum) - (logits[off + target] - max);
    }
}
