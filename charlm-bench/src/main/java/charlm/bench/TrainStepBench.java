package charlm.bench;

import charlm.data.Rng;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.Cells;
import charlm.model.FlopCount;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.model.Tape;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole training step of the model (forward, loss and its gradient, backward through time; no
 * update), on the vector kernels and a pool of two threads, at the book's shape and at the shapes
 * real text is trained at. Secondary results: "tokens" per second and "flops" per second (the
 * matrix FLOP of {@link FlopCount}), so tokens/s compares with {@code charlm bench} less its update.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseSerialGC", "-Xmn64m", "-XX:ObjectAlignmentInBytes=64"})
@State(Scope.Benchmark)
public class TrainStepBench {

    /** input, V, E, H, B, T, layers: what a run trains. */
    public enum Shape {
        /** The chapter: one-hot letters of The Time Machine (V = 28), H = 512, B = 32, T = 35. */
        BOOK(InputKind.ONEHOT, 28, 0, 512, 32, 35, 1),
        /** The same, two layers. */
        BOOK_2_LAYERS(InputKind.ONEHOT, 28, 0, 512, 32, 35, 2),
        /** Tiny Shakespeare by characters (V = 65), an embedding of 64, H = 512, B = 64, T = 64. */
        TEXT_512(InputKind.EMBEDDING, 65, 64, 512, 64, 64, 1),
        /** Smaller and longer: H = 256, B = 32, T = 128. */
        TEXT_256(InputKind.EMBEDDING, 65, 64, 256, 32, 128, 1),
        /** Larger: H = 1024, B = 128, T = 64. */
        TEXT_1024(InputKind.EMBEDDING, 65, 64, 1024, 128, 64, 1);

        final InputKind input;
        final int vocab, embed, hidden, batch, steps, layers;

        Shape(InputKind input, int vocab, int embed, int hidden, int batch, int steps, int layers) {
            this.input = input;
            this.vocab = vocab;
            this.embed = embed;
            this.hidden = hidden;
            this.batch = batch;
            this.steps = steps;
            this.layers = layers;
        }
    }

    @Param({"rnn", "gru", "lstm"})
    public String cell;

    @Param
    public Shape shape;

    private Workers workers;
    private RnnModel model;
    private Tape tape;
    private int[] x, y;
    private float[] state;
    private double flopsPerToken;

    /** Tokens and FLOP done; JMH divides by the time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long tokens;
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
            flops = 0;
        }
    }

    @Setup
    public void setUp() {
        workers = new Workers(2);
        ModelConfig config = new ModelConfig(shape.vocab, shape.hidden, Activation.TANH, shape.input,
                Math.max(1, shape.embed), Cells.get(cell), shape.layers);
        model = new RnnModel(config, BenchKernels.named("vector"), workers);
        Rng rng = new Rng(1);
        model.initialize(rng);
        tape = model.newTape(shape.batch, shape.steps);
        x = new int[shape.batch * shape.steps];
        y = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextInt(shape.vocab);
            y[i] = rng.nextInt(shape.vocab);
        }
        state = model.beginState(shape.batch);
        flopsPerToken = FlopCount.trainingPerToken(model);
    }

    @TearDown
    public void tearDown() {
        workers.close();
    }

    @Benchmark
    public double step(Work work) {
        model.forward(tape, x, state, true);
        double loss = model.loss(tape, y);
        model.params.zeroGrad();
        model.backward(tape, null, null);
        work.tokens += x.length;
        work.flops += (long) (flopsPerToken * x.length);
        return loss;
    }
}
