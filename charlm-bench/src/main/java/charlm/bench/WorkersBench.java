package charlm.bench;

import charlm.kernels.Workers;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the pool costs a step: one {@link Workers#run} of a task whose parts do nothing, ns per run.
 * A training step of the book model makes 70 of them (35 forward, 35 backward) and a GRU step 140.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Thread)
public class WorkersBench {
    @Param({"1", "2"})
    public int threads;

    private Workers workers;
    private final Workers.Task nothing = (part, parts) -> { };

    @Setup
    public void setUp() {
        workers = new Workers(threads);
    }

    @TearDown
    public void tearDown() {
        workers.close();
    }

    @Benchmark
    public void handOver() {
        workers.run(nothing);
    }
}
