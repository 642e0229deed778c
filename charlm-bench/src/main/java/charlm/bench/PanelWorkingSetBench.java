package charlm.bench;

import charlm.kernels.Kernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A step's panel product (32 × 64 × 512, B = 32 rows of H_{t−1} times one packed (512, 64) panel of
 * the recurrent weights) on one thread, with each call reading the next of `panels` panels in turn,
 * as a thread walks its share of the weights at every step. The working set is panels × 128 KB: one
 * thread's share is 0.5 MB for the plain RNN at H = 512 (2 threads), 1.5 MB for the GRU, 2 MB for the
 * LSTM, and the L2 of a core here is 2 MB. "flops" is GFLOP/s, as in {@link GemmBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class PanelWorkingSetBench {
    static final int B = 32, H = 512, W = 64, PANEL = H * W;

    /** 1: in L1/L2; 4, 12, 16: a thread's RNN, GRU and LSTM share at H = 512; 32: twice the L2; 512: 64 MB, from memory. */
    @Param({"1", "4", "12", "16", "32", "512"})
    public int panels;

    private final Kernels kern = BenchKernels.named("vector");
    private float[] a, w, c;
    private int next;

    @Setup
    public void setUp() {
        Random rnd = new Random(42);
        a = new float[B * H];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        w = new float[panels * PANEL];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.01f;
        c = new float[B * W];
    }

    @Benchmark
    public float[] panelProduct(GemmBench.Flops counter) {
        kern.gemmNN(B, W, H, a, 0, H, w, next * PANEL, W, c, 0, W);
        next = next + 1 == panels ? 0 : next + 1;
        counter.flops += 2L * B * W * H;
        return c;
    }
}
