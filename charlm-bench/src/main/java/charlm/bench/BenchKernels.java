package charlm.bench;

import charlm.kernels.Kernels;
import charlm.kernels.ReferenceKernels;

/** Picks the kernels a benchmark measures by name; "vector" must really be the Vector API path. */
final class BenchKernels {
    private BenchKernels() {
    }

    static Kernels named(String name) {
        if (name.equals("reference")) return new ReferenceKernels();
        Kernels k = Kernels.get(); // -Dcharlm.kernels defaults to vector
        if (!k.name().equals(name)) {
            throw new IllegalStateException("asked for " + name + " kernels but got " + k.name()
                    + " (is --add-modules jdk.incubator.vector set?)");
        }
        return k;
    }
}
