package charlm.bench;

import charlm.kernels.Kernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * tanh on one step's pre-activations (B·H = 32·512 floats), the candidates for the fast kernel:
 * "vector" (the kernel: clamped rational x·P(x²)/Q(x²)), "svml" (VectorOperators.TANH), "exp"
 * ((1 − e^−2|x|)/(1 + e^−2|x|) with the sign put back), "reference" (Math.tanh). Each call first
 * copies the input back (tanh is in place); "copy" measures that copy alone, to subtract.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class TanhBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LEN = 32 * 512;

    @Param({"copy", "vector", "svml", "exp", "reference"})
    public String variant;

    private Kernels kern;
    private final float[] input = new float[LEN];
    private final float[] x = new float[LEN];

    @Setup
    public void setUp() {
        Random rnd = new Random(42);
        for (int i = 0; i < LEN; i++) input[i] = (float) (rnd.nextGaussian() * 3);
        if (variant.equals("vector") || variant.equals("reference")) kern = BenchKernels.named(variant);
    }

    @Benchmark
    public float[] tanh() {
        System.arraycopy(input, 0, x, 0, LEN);
        switch (variant) {
            case "copy" -> { }
            case "svml" -> svml(x, 0, LEN);
            case "exp" -> viaExp(x, 0, LEN);
            default -> kern.tanh(x, 0, LEN);
        }
        return x;
    }

    static void svml(float[] x, int off, int len) {
        int i = off, end = off + len;
        for (; i + S.length() <= end; i += S.length()) {
            FloatVector.fromArray(S, x, i).lanewise(VectorOperators.TANH).intoArray(x, i);
        }
        for (; i < end; i++) x[i] = (float) Math.tanh(x[i]);
    }

    static void viaExp(float[] x, int off, int len) {
        int i = off, end = off + len;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i + S.length() <= end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector t = v.abs().mul(-2f).lanewise(VectorOperators.EXP);
            FloatVector r = one.sub(t).div(one.add(t));
            r.blend(r.neg(), v.compare(VectorOperators.LT, 0f)).intoArray(x, i);
        }
        for (; i < end; i++) x[i] = (float) Math.tanh(x[i]);
    }
}
