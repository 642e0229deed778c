package charlm.kernels;

/** Resolves {@link Kernels#get()} once: the Vector API path unless asked otherwise or unavailable. */
final class KernelChoice {
    static final Kernels CHOSEN = choose(System.getProperty("charlm.kernels", "vector"));

    private KernelChoice() {
    }

    static Kernels choose(String wanted) {
        if (wanted.equals("reference")) return new ReferenceKernels();
        if (!wanted.equals("vector")) {
            throw new IllegalArgumentException("charlm.kernels must be vector or reference, got " + wanted);
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            // Started without --add-modules jdk.incubator.vector: correct, just slower.
            return new ReferenceKernels();
        }
        return VectorKernelsHolder.create();
    }

    /** Kept in its own class so the Vector API classes load only when the module is present. */
    private static final class VectorKernelsHolder {
        static Kernels create() {
            return new VectorKernels();
        }

        static double peak(Workers workers) {
            return FmaPeak.measure(workers, 5, 60);
        }
    }

    /** {@link Kernels#measuredPeakGflops}: NaN without the Vector API module. */
    static double measuredPeak(Workers workers) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return Double.NaN;
        return VectorKernelsHolder.peak(workers);
    }
}
