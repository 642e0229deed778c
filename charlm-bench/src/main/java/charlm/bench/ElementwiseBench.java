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

/** tanhBackward, relu and reluBackward on one step's activations (B·H = 32·512 floats), ns per call. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class ElementwiseBench {
    static final int LEN = 32 * 512;

    @Param({"vector", "reference"})
    public String kernels;

    private Kernels kern;
    private final float[] dh = new float[LEN], h = new float[LEN], da = new float[LEN], x = new float[LEN];

    @Setup
    public void setUp() {
        kern = BenchKernels.named(kernels);
        Random rnd = new Random(42);
        for (int i = 0; i < LEN; i++) {
            dh[i] = (float) rnd.nextGaussian();
            h[i] = (float) Math.tanh(rnd.nextGaussian());
            x[i] = (float) rnd.nextGaussian();
        }
    }

    @Benchmark
    public float[] tanhBackward() {
        kern.tanhBackward(dh, 0, h, 0, da, 0, LEN);
        return da;
    }

    /** relu is idempotent, so running it in place again and again measures the same work. */
    @Benchmark
    public float[] relu() {
        kern.relu(x, 0, LEN);
        return x;
    }

    @Benchmark
    public float[] reluBackward() {
        kern.reluBackward(dh, 0, h, 0, da, 0, LEN);
        return da;
    }
}
