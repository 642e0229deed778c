package charlm.model;

import charlm.data.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The initialisations by name, for {@code --init}. Every one draws in declaration order (the
 * embedding, each layer's tensors in the book's order, the output layer), each tensor in its chapter
 * shape, row-major, so a seed fixes the model whatever the thread count.
 * <ul>
 * <li>book: the chapter's N(0, 0.01²) weights and zero biases (an embedding from N(0, 1));</li>
 * <li>uniform: as PyTorch's recurrent and linear modules, every weight and bias of the recurrent and
 *     output layers from U(−1/√H, 1/√H) (an embedding from N(0, 1), as nn.Embedding);</li>
 * <li>xavier: Glorot's U(±√(6 / (fan_in + fan_out))) for every weight matrix, biases zero;</li>
 * <li>orthogonal: a random orthogonal matrix for each hidden-to-hidden (H, H) matrix (Saxe et al.,
 *     2014), Glorot's for the other matrices, biases zero.</li>
 * </ul>
 */
public final class Initializers {
    private Initializers() {
    }

    private static final Map<String, Initializer> BY_NAME = new LinkedHashMap<>();

    static {
        register("book", Initializers::book);
        register("uniform", Initializers::uniform);
        register("xavier", (p, rng) -> glorot(p, rng, false));
        register("orthogonal", (p, rng) -> glorot(p, rng, true));
    }

    public static synchronized void register(String name, Initializer init) {
        if (BY_NAME.containsKey(name)) throw new IllegalArgumentException("an initialisation called " + name + " is already registered");
        BY_NAME.put(name, init);
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }

    public static synchronized Initializer get(String name) {
        Initializer i = BY_NAME.get(name);
        if (i == null) throw new IllegalArgumentException("no initialisation " + name + "; known: " + String.join(", ", BY_NAME.keySet()));
        return i;
    }

    /** The chapter's: weights N(0, 0.01²), biases zero (nothing drawn for them), an embedding N(0, 1). */
    static void book(Parameters p, Rng rng) {
        Arrays.fill(p.data, 0f);
        for (Parameters.Tensor t : p.tensors()) {
            switch (t.role()) {
                case EMBEDDING -> normal(p, t, rng, 1.0);
                case INPUT_WEIGHT, RECURRENT_WEIGHT, OUTPUT_WEIGHT -> normal(p, t, rng, 0.01);
                case BIAS, FORGET_GATE_BIAS -> {
                }
            }
        }
    }

    private static void uniform(Parameters p, Rng rng) {
        int hidden = hidden(p);
        double bound = 1 / Math.sqrt(hidden);
        for (Parameters.Tensor t : p.tensors()) {
            if (t.role() == Parameters.Role.EMBEDDING) normal(p, t, rng, 1.0);
            else fill(p, t, rng, bound);
        }
    }

    private static void glorot(Parameters p, Rng rng, boolean orthogonalRecurrent) {
        Arrays.fill(p.data, 0f);
        for (Parameters.Tensor t : p.tensors()) {
            switch (t.role()) {
                case EMBEDDING -> normal(p, t, rng, 1.0);
                case RECURRENT_WEIGHT -> {
                    if (orthogonalRecurrent) p.write(t, orthogonal(t.shape()[0], rng), p.data);
                    else fill(p, t, rng, Math.sqrt(6.0 / (t.shape()[0] + t.shape()[1])));
                }
                case INPUT_WEIGHT, OUTPUT_WEIGHT -> fill(p, t, rng, Math.sqrt(6.0 / (t.shape()[0] + t.shape()[1])));
                case BIAS, FORGET_GATE_BIAS -> {
                }
            }
        }
    }

    /** H: the rows of the output weights W_hq (H, V), whatever the cell. */
    private static int hidden(Parameters p) {
        for (Parameters.Tensor t : p.tensors()) if (t.role() == Parameters.Role.OUTPUT_WEIGHT) return t.shape()[0];
        throw new IllegalArgumentException("no output layer");
    }

    private static void normal(Parameters p, Parameters.Tensor t, Rng rng, double std) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        p.write(t, v, p.data);
    }

    /** U(−bound, bound). */
    private static void fill(Parameters p, Parameters.Tensor t, Rng rng, double bound) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
        p.write(t, v, p.data);
    }

    /**
     * An n × n orthogonal matrix, row-major: Gram–Schmidt (twice, for accuracy in float) on the rows of a
     * Gaussian matrix, which gives the Haar-random orthogonal matrix that QR with sign correction gives.
     */
    static float[] orthogonal(int n, Rng rng) {
        double[][] q = new double[n][n];
        for (double[] row : q) for (int j = 0; j < n; j++) row[j] = rng.nextGaussian();
        for (int i = 0; i < n; i++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < n; j++) dot += q[i][j] * q[k][j];
                    for (int j = 0; j < n; j++) q[i][j] -= dot * q[k][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < n; j++) norm += q[i][j] * q[i][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < n; j++) q[i][j] /= norm;
        }
        float[] out = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) out[i * n + j] = (float) q[i][j];
        return out;
    }

    /** Sets every forget-gate bias (an LSTM's b_f) to value; returns how many tensors it set. */
    public static int setForgetBias(Parameters p, double value) {
        int n = 0;
        for (Parameters.Tensor t : p.tensors()) {
            if (t.role() != Parameters.Role.FORGET_GATE_BIAS) continue;
            float[] v = new float[t.size()];
            Arrays.fill(v, (float) value);
            p.write(t, v, p.data);
            n++;
        }
        return n;
    }
}
