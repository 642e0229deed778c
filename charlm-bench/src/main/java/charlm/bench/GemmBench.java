package charlm.bench;

import charlm.kernels.Alignment;
import charlm.kernels.Kernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three products at the model's shapes (B = 32, T = 35, H = 512, V = 28), single-threaded.
 * The secondary result "flops" is floating-point operations (2·m·n·k per call) per nanosecond,
 * that is GFLOP/s. Operands are laid out as in the model: a column half keeps ldb = ldc = 512.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:ObjectAlignmentInBytes=64"})
@State(Scope.Thread)
public class GemmBench {

    /** op_m_n_k[_ld]: what the model calls it for. */
    public enum Shape {
        /** Forward step: H_t pre-activation (B, H) += H_{t-1}(B, H) · W_hh(H, H). */
        NN_32x512x512(Op.NN, 32, 512, 512, 512),
        /** The same, one column half (one of 2 threads): ldb = ldc = 512. */
        NN_32x256x512_half(Op.NN, 32, 256, 512, 512),
        /** One 64-column panel of a step's weights, packed (k, 64) as the cells read them: ldb = ldc = 64. */
        NN_32x64x512_panel(Op.NN, 32, 64, 512, 64),
        /** Generation with B = 2 and B = 1. */
        NN_2x512x512(Op.NN, 2, 512, 512, 512),
        NN_1x512x512(Op.NN, 1, 512, 512, 512),
        /** Backward: dHs(T·B, H) += dO(T·B, V) · W_q(V, H). */
        NN_1120x512x28(Op.NN, 1120, 512, 28, 512),
        /** Logits: O(T·B, V) += Hs(T·B, H) · W_qᵀ, W_q stored (V, H). */
        NT_1120x28x512(Op.NT, 1120, 28, 512, 28),
        /** Generation logits, B = 1. */
        NT_1x28x512(Op.NT, 1, 28, 512, 28),
        /** Backward: dW_q(V, H) += dOᵀ · Hs. */
        TN_28x512x1120(Op.TN, 28, 512, 1120, 512),
        /** Backward: dW_hh(H, H) += H_prevᵀ · dA over all steps. */
        TN_512x512x1120(Op.TN, 512, 512, 1120, 512),
        /** The same, one row block of 2. */
        TN_256x512x1120_half(Op.TN, 256, 512, 1120, 512),
        /** The same as training runs it, dA in panels (k = 1120 is B 32 at T 35). */
        TNP_256x512x1120_half(Op.TNP, 256, 512, 1120, 512),
        /** Real text (Tiny Shakespeare by characters, V = 65, E = 64, H = 512, B = 64, T = 64): the LSTM step, one thread's 4 gates × 256 columns. */
        NN_64x1024x512(Op.NN, 64, 1024, 512, 1024),
        /** Its weight gradient over T·B = 4096 rows, one row block of 2. */
        TN_256x512x4096_half(Op.TN, 256, 512, 4096, 512),
        /** Its embedding's gradient dX = dA · W_xᵀ over all rows, one gate. */
        NT_4096x64x512(Op.NT, 4096, 64, 512, 64),
        /** Its logits, V = 65. */
        NT_4096x65x512(Op.NT, 4096, 65, 512, 65),
        /**
         * Wide text (H = 1024, LSTM, B = 128, T = 64): one thread's share of a step's product, 4 gates ×
         * 512 columns as 32 packed (k, 64) panels of 256 KB each, 8 MB in all, read one after another as
         * RecurrentWeights does (ldc = 2048). The backward step runs the same kernel on the transposed
         * panels, so this shape stands for both.
         */
        NNP_128x2048x1024(Op.NNP, 128, 2048, 1024, 2048),
        /** The same with B = 64. */
        NNP_64x2048x1024(Op.NNP, 64, 2048, 1024, 2048),
        /** Its weight gradient, one gate, one row half: dW (512 of 1024 rows) += Pᵀ dA over T·B = 8192 rows, dA in panels. */
        TNP_512x1024x8192_half(Op.TNP, 512, 1024, 8192, 1024),
        /**
         * A second layer's input at H = 1024 (B = 128, T = 64): one thread's half of the T·B rows, one gate's
         * projection X W_x (W_x stored (1024, 1024), rows 4 KB apart); dX = dA W_xᵀ is the same product.
         */
        NN_4096x1024x1024(Op.NN, 4096, 1024, 1024, 1024);

        final Op op;
        final int m, n, k, ld;

        Shape(Op op, int m, int n, int k, int ld) {
            this.op = op;
            this.m = m;
            this.n = n;
            this.k = k;
            this.ld = ld;
        }
    }

    /** NNP: gemmNN over (k, 64) panels of B one after another; TNP: gemmTNPanels with A one half of (k, 2m). */
    enum Op { NN, TN, NT, NNP, TNP }

    @Param({"vector", "reference"})
    public String kernels;

    @Param
    public Shape shape;

    /** Width of the model's step panels (RecurrentLayer.ALIGN). */
    private static final int PANEL = 64;

    private Kernels kern;
    private float[] a, b, c;
    private int m, n, k, lda, ldb, ldc;
    private long flopsPerCall;

    /** Counts flops; JMH divides by time in ns, so the reported "flops" is GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    @Setup
    public void setUp() {
        kern = BenchKernels.named(kernels);
        m = shape.m;
        n = shape.n;
        k = shape.k;
        int fullN = shape.ld; // the whole matrix the half lives in
        switch (shape.op) {
            case NN -> { lda = k; ldb = fullN; ldc = fullN; a = fill(m * lda); b = fill(k * ldb); c = fill(m * ldc); }
            case TN -> { lda = shape.name().endsWith("_half") ? 512 : m; ldb = n; ldc = n;
                         a = fill(k * lda); b = fill(k * ldb); c = fill(m * ldc); }
            case NT -> { lda = k; ldb = k; ldc = n; a = fill(m * lda); b = fill(n * ldb); c = fill(m * ldc); }
            // The model's panels start Alignment.PAD floats in, on a cache line under the launcher's (and this fork's) alignment.
            case NNP -> { lda = k; ldb = PANEL; ldc = n; a = fill(m * lda); b = fill(Alignment.PAD + k * n); c = fill(m * ldc); }
            case TNP -> { lda = 2 * m; ldb = 0; ldc = n; a = fill(k * lda); b = fill(Alignment.PAD + k * n); c = fill(m * ldc); }
        }
        flopsPerCall = 2L * m * n * k;
    }

    private static float[] fill(int len) {
        Random rnd = new Random(42);
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextGaussian() * 0.01f;
        return x;
    }

    @Benchmark
    public float[] gemm(Flops counter) {
        switch (shape.op) {
            case NN -> kern.gemmNN(m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
            case TN -> kern.gemmTN(m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
            case NT -> kern.gemmNT(m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
            case NNP -> {
                for (int q = 0; q < n; q += PANEL) kern.gemmNN(m, PANEL, k, a, 0, lda, b, Alignment.PAD + q * k, PANEL, c, q, ldc);
            }
            case TNP -> kern.gemmTNPanels(m, n, k, a, 0, lda, b, Alignment.PAD, c, 0, ldc);
        }
        counter.flops += flopsPerCall;
        return c;
    }
}
