package charlm.cli;

import charlm.kernels.Kernels;
import charlm.kernels.Workers;

/** What runs the numbers: the kernels chosen, the worker pool, and a line describing both and the JDK. */
record Engine(Kernels kernels, Workers workers) {

    static Engine create(int threads) {
        return new Engine(Kernels.get(), new Workers(threads));
    }

    /** For example "cpu, vector kernels, 2 threads, JDK 25.0.1". */
    String describe() {
        return "cpu, " + kernels.name() + " kernels, " + workers.parts() + (workers.parts() == 1 ? " thread" : " threads")
                + ", JDK " + Runtime.version();
    }
}
