package charlm.kernels;

/**
 * Passes over one long flat array (the parameters, their gradients, an optimizer's moments) on the
 * worker pool. The array is cut into {@link #CHUNKS} fixed chunks, whatever the number of threads,
 * so a sum over it comes out the same for any thread count. Each pass reuses one task object: a
 * training step allocates nothing.
 */
public final class ArrayPasses {
    /** Fixed chunks, each a multiple of 16 elements (whole vectors) except the last. */
    public static final int CHUNKS = 64;

    /** The work on elements [from, to) of one chunk. */
    @FunctionalInterface
    public interface Body {
        void run(int from, int to);
    }

    private final Workers workers;
    private final double[] partial = new double[CHUNKS];
    private final SumOfSquares sumOfSquares = new SumOfSquares();
    private final Scale scale = new Scale();
    private final Zero zero = new Zero();

    public ArrayPasses(Workers workers) {
        this.workers = workers;
    }

    public Workers workers() {
        return workers;
    }

    /** The first element of chunk c of an array of n elements. */
    public static int chunkStart(int c, int n) {
        return Workers.start(c, CHUNKS, n, 16);
    }

    /** One past the last element of chunk c. */
    public static int chunkEnd(int c, int n) {
        return Workers.end(c, CHUNKS, n, 16);
    }

    /**
     * A task that runs body over the chunks of an array of n elements, the chunks split between the
     * pool's parts. Make it once, run it with {@link Workers#run} at every step.
     */
    public static final class ChunkTask implements Workers.Task {
        private final String name;
        private final Body body;
        private int n;

        /** name: what {@link PhaseTimes} files its runs under. */
        public ChunkTask(String name, Body body) {
            this.name = name;
            this.body = body;
        }

        @Override
        public String name() {
            return name;
        }

        /** Sets the array length for the next run. */
        public ChunkTask over(int length) {
            this.n = length;
            return this;
        }

        @Override
        public void run(int part, int parts) {
            int c0 = Workers.start(part, parts, CHUNKS, 1), c1 = Workers.end(part, parts, CHUNKS, 1);
            for (int c = c0; c < c1; c++) body.run(chunkStart(c, n), chunkEnd(c, n));
        }
    }

    /**
     * Σ g², in double: each chunk as four interleaved sums (one chain would wait on every add), then the
     * chunks in order. The same value for any number of threads; equal to the plain serial sum up to rounding.
     */
    public double sumOfSquares(float[] g) {
        sumOfSquares.g = g;
        workers.run(sumOfSquares);
        double sum = 0;
        for (double p : partial) sum += p;
        return sum;
    }

    /** g ← s · g. */
    public void scale(float[] g, float s) {
        scale.g = g;
        scale.s = s;
        workers.run(scale);
    }

    /** g ← 0. */
    public void zero(float[] g) {
        zero.g = g;
        workers.run(zero);
    }

    private final class SumOfSquares implements Workers.Task {
        float[] g;

        @Override
        public String name() {
            return "gradient norm";
        }

        @Override
        public void run(int part, int parts) {
            int c0 = Workers.start(part, parts, CHUNKS, 1), c1 = Workers.end(part, parts, CHUNKS, 1);
            for (int c = c0; c < c1; c++) {
                int i = chunkStart(c, g.length), end = chunkEnd(c, g.length);
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (; i + 4 <= end; i += 4) {
                    s0 += (double) g[i] * g[i];
                    s1 += (double) g[i + 1] * g[i + 1];
                    s2 += (double) g[i + 2] * g[i + 2];
                    s3 += (double) g[i + 3] * g[i + 3];
                }
                for (; i < end; i++) s0 += (double) g[i] * g[i];
                partial[c] = (s0 + s1) + (s2 + s3);
            }
        }
    }

    private static final class Scale implements Workers.Task {
        float[] g;
        float s;

        @Override
        public String name() {
            return "gradient clipping";
        }

        @Override
        public void run(int part, int parts) {
            int from = chunkStart(Workers.start(part, parts, CHUNKS, 1), g.length);
            int to = chunkEnd(Workers.end(part, parts, CHUNKS, 1) - 1, g.length);
            for (int i = from; i < to; i++) g[i] *= s;
        }
    }

    private static final class Zero implements Workers.Task {
        float[] g;

        @Override
        public String name() {
            return "zero gradients";
        }

        @Override
        public void run(int part, int parts) {
            int from = chunkStart(Workers.start(part, parts, CHUNKS, 1), g.length);
            int to = chunkEnd(Workers.end(part, parts, CHUNKS, 1) - 1, g.length);
            java.util.Arrays.fill(g, from, to, 0f);
        }
    }
}
