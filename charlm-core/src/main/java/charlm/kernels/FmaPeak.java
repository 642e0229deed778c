package charlm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's fp32 peak as the kernels can reach it, measured: every thread of a pool runs twelve
 * independent chains of vector fused multiply-adds (enough to cover the FMA latency on two FMA
 * ports), nothing read from memory. Best of a few short rounds, after a warm-up that lets the JIT
 * compile the loop. It is what one core's vector units can do at the clock they run at under this
 * load; a product that reads its operands can only come near it. Loaded only with the Vector API
 * module present (see {@link #measure}).
 */
final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    private static volatile float sink;

    private FmaPeak() {
    }

    /** GFLOP/s of all the pool's threads at once, best of rounds of about roundMillis each. */
    static double measure(Workers workers, int rounds, int roundMillis) {
        for (int i = 0; i < 20; i++) sink += chains(20_000); // compile before timing
        // Calibrate the iterations of one part to about roundMillis / parts-per-thread on one thread.
        long iters = 100_000;
        long t0 = System.nanoTime();
        sink += chains(iters);
        double perIter = Math.max(1e-3, (System.nanoTime() - t0) / (double) iters);
        int perThread = Math.max(1, workers.partsPerRun() / workers.threads());
        long partIters = Math.max(10_000, (long) (roundMillis * 1e6 / perThread / perIter));
        double best = 0;
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime();
            workers.run((part, parts) -> sink += chains(partIters));
            double seconds = (System.nanoTime() - start) * 1e-9;
            best = Math.max(best, workers.partsPerRun() * partIters * (double) CHAINS * S.length() * 2 / seconds / 1e9);
        }
        return best;
    }

    private static float chains(long iters) {
        FloatVector x = FloatVector.broadcast(S, 0.9999999f), y = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0.add(1e-6f), a2 = a0.add(2e-6f), a3 = a0.add(3e-6f);
        FloatVector a4 = a0.add(4e-6f), a5 = a0.add(5e-6f), a6 = a0.add(6e-6f), a7 = a0.add(7e-6f);
        FloatVector a8 = a0.add(8e-6f), a9 = a0.add(9e-6f), a10 = a0.add(1e-5f), a11 = a0.add(1.1e-5f);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }
}
