package charlm.model;

import java.util.Objects;

/**
 * A recurrent cell as the rest of charlm sees it: its name (as on the command line and in a
 * checkpoint's metadata), how many (B, H) state tensors a layer of it carries (h only = 1, h and
 * c = 2), whether the --activation option applies to it, and how to build a layer of it. Each
 * cell class declares its own TYPE, and {@link Cells} lists them.
 *
 * <p>Cells are written inside this package: a layer subclasses the package's {@link RecurrentLayer}.
 */
public record CellType(String name, int stateSlots, boolean usesActivation, LayerFactory factory) {

    /**
     * Builds one layer of a cell; the layer declares its tensors into the builder as it is made. A
     * layer's constructor only declares and allocates: it runs no kernel and no worker.
     */
    @FunctionalInterface
    interface LayerFactory {
        RecurrentLayer build(RecurrentLayer.Setup setup, Parameters.Builder params);
    }

    public CellType {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
        if (name.isBlank()) throw new IllegalArgumentException("a cell needs a name");
        if (stateSlots != 1 && stateSlots != 2) throw new IllegalArgumentException("a cell carries h, or h and c: 1 or 2 state slots, got " + stateSlots);
    }

    RecurrentLayer newLayer(RecurrentLayer.Setup setup, Parameters.Builder params) {
        return factory.build(setup, params);
    }

    /** Whether a layer of this cell declares a tensor of the given role (an LSTM's FORGET_GATE_BIAS, say). */
    public boolean declares(Parameters.Role role) {
        for (Parameters.Tensor t : sample().tensors()) if (t.role() == role) return true;
        return false;
    }

    /**
     * How many parameters one layer of this cell has for D inputs and H hidden units, in long: read off
     * a layer declared with D = 5 and H = 7 (a dimension of 5 stands for D, one of 7 for H), so no cell
     * writes its count twice and nothing of the real size is allocated.
     */
    public long parameterCount(long inputs, long hidden) {
        long n = 0;
        for (Parameters.Tensor t : sample().tensors()) {
            long size = 1;
            for (int d : t.shape()) size = Math.multiplyExact(size, d == SAMPLE_D ? inputs : d == SAMPLE_H ? hidden : d);
            n = Math.addExact(n, size);
        }
        return n;
    }

    private static final int SAMPLE_D = 5, SAMPLE_H = 7;

    private Parameters sample() {
        Parameters.Builder b = Parameters.builder();
        newLayer(new RecurrentLayer.Setup(SAMPLE_D, SAMPLE_H, false, "", Activation.TANH, null, null), b);
        return b.build();
    }

    @Override
    public String toString() {
        return name;
    }
}
