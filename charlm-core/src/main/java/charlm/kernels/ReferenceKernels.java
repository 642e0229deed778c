package charlm.kernels;

/**
 * Plain loops, written for clarity: the oracle every faster kernel is tested against.
 * Sums are accumulated in float in the natural order.
 */
public final class ReferenceKernels implements Kernels {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[aOff + i * lda + p];
                int bRow = bOff + p * ldb;
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
            }
        }
    }

    @Override
    public void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        for (int p = 0; p < k; p++) {
            int aRow = aOff + p * lda;
            int bRow = bOff + p * ldb;
            for (int i = 0; i < m; i++) {
                float api = a[aRow + i];
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
            }
        }
    }

    @Override
    public int panelWidth() {
        return 32;
    }

    @Override
    public void gemmTNPanels(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, float[] c, int cOff, int ldc) {
        int w = panelWidth();
        for (int p = 0; p < k; p++) {
            int aRow = aOff + p * lda;
            for (int i = 0; i < m; i++) {
                float api = a[aRow + i];
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    int q0 = j - j % w, width = Math.min(w, n - q0);
                    c[cRow + j] += api * b[bOff + q0 * k + p * width + j - q0];
                }
            }
        }
    }

    @Override
    public void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) sum += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                c[cOff + i * ldc + j] += sum;
            }
        }
    }

    @Override
    public void tanh(float[] x, int off, int len) {
        for (int i = off; i < off + len; i++) x[i] = (float) Math.tanh(x[i]);
    }

    @Override
    public void sigmoid(float[] x, int off, int len) {
        for (int i = off; i < off + len; i++) x[i] = 0.5f * (float) Math.tanh(x[i] * 0.5f) + 0.5f;
    }

    @Override
    public void tanhBackward(float[] dh, int dhOff, float[] h, int hOff, float[] da, int daOff, int len) {
        for (int i = 0; i < len; i++) {
            float y = h[hOff + i];
            da[daOff + i] = dh[dhOff + i] * (1f - y * y);
        }
    }

    @Override
    public void relu(float[] x, int off, int len) {
        for (int i = off; i < off + len; i++) x[i] = Math.max(x[i], 0f);
    }

    @Override
    public void reluBackward(float[] dh, int dhOff, float[] h, int hOff, float[] da, int daOff, int len) {
        for (int i = 0; i < len; i++) da[daOff + i] = h[hOff + i] > 0f ? dh[dhOff + i] : 0f;
    }

    @Override
    public void add(float[] x, int xOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) y[yOff + i] += x[xOff + i];
    }
}
