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
 * tanhBackward, relu and reluBackward on one step's activations (B·H = 32·512 floats), and the LSTM
 * cell's backward on one part's share of a step (32 rows of 64 columns, rows 512 apart), ns per call.
 * The reference runs the kernels' scalar definitions (for the LSTM, the loop the cell had inline).
 * The LSTM cell's forward on 32 rows of 512 columns (one part's share of a step at H = 1024), fused
 * and as the passes the layer made before (on the same kernel set's σ and tanh).
 */
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
    private final float[][] gates = new float[4][LEN], dA = new float[4][LEN];
    private final float[] tanhC = new float[LEN], cPrev = new float[LEN], dc = new float[LEN];
    private final float[] c = new float[LEN], hOut = new float[LEN];
    private final float[][] pre = new float[4][LEN];

    @Setup
    public void setUp() {
        kern = BenchKernels.named(kernels);
        Random rnd = new Random(42);
        for (int i = 0; i < LEN; i++) {
            dh[i] = (float) rnd.nextGaussian();
            h[i] = (float) Math.tanh(rnd.nextGaussian());
            x[i] = (float) rnd.nextGaussian();
            for (int g = 0; g < 3; g++) gates[g][i] = (float) (1 / (1 + Math.exp(-rnd.nextGaussian())));
            gates[3][i] = (float) Math.tanh(rnd.nextGaussian());
            tanhC[i] = (float) Math.tanh(rnd.nextGaussian());
            cPrev[i] = (float) rnd.nextGaussian();
            for (int g = 0; g < 4; g++) pre[g][i] = (float) rnd.nextGaussian();
        }
    }

    /** The gates are activated in place: called again, σ and tanh run on values in (−1, 1), as much work. */
    @Benchmark
    public float[] lstmCellForwardPart() {
        for (int b = 0; b < 32; b++) kern.lstmCellForward(pre, b * 512, cPrev, b * 512, c, b * 512, tanhC, hOut, b * 512, 512);
        return hOut;
    }

    /** The same as the passes LstmLayer made before the fused kernel. */
    @Benchmark
    public float[] lstmCellForwardPasses() {
        for (int b = 0; b < 32; b++) {
            int row = b * 512;
            kern.sigmoid(pre[0], row, 512);
            kern.sigmoid(pre[1], row, 512);
            kern.sigmoid(pre[2], row, 512);
            kern.tanh(pre[3], row, 512);
            for (int j = 0; j < 512; j++) {
                float cj = pre[1][row + j] * cPrev[row + j] + pre[0][row + j] * pre[3][row + j];
                c[row + j] = cj;
                tanhC[row + j] = cj;
            }
            kern.tanh(tanhC, row, 512);
            for (int j = 0; j < 512; j++) hOut[row + j] = pre[2][row + j] * tanhC[row + j];
        }
        return hOut;
    }

    /** dc is carried in place, as between steps: (dc + bounded) · F stays bounded over any number of calls. */
    @Benchmark
    public float[][] lstmCellBackwardPart() {
        for (int b = 0; b < 32; b++) kern.lstmCellBackward(dh, gates, tanhC, b * 512, cPrev, b * 512, dc, b * 512, dA, 64);
        return dA;
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
