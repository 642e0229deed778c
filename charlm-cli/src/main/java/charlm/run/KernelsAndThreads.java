package charlm.run;

import charlm.kernels.Alignment;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;

/** What runs the numbers: the kernels chosen and the worker pool; closing it stops the pool's threads. */
public record KernelsAndThreads(Kernels kernels, Workers workers) implements AutoCloseable {

    public static KernelsAndThreads create(int threads) {
        return new KernelsAndThreads(Kernels.get(), new Workers(threads));
    }

    /**
     * For example "cpu, vector kernels (16 lanes, blocks for 32 registers), 2 threads, JDK 25.0.1"; a JVM that leaves the vector kernels' panels
     * off cache lines (started without the launcher's -XX:ObjectAlignmentInBytes=64) is named, as it is slower.
     */
    public String describe() {
        String detail = kernels.detail().isEmpty() ? "" : " (" + kernels.detail() + ")";
        return "cpu, " + kernels.name() + " kernels" + detail + ", " + workers.threads() + (workers.threads() == 1 ? " thread" : " threads")
                + ", JDK " + Runtime.version()
                + (kernels.name().equals("vector") && Alignment.PAD == 0 ? ", panels off cache lines (-XX:ObjectAlignmentInBytes=64 puts them on)" : "");
    }

    @Override
    public void close() {
        workers.close();
    }
}
