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

    /**
     * The name, without a layer's prefix, of the first (H, H) recurrent weight a layer of this cell
     * declares (W_hh for the RNN, W_hz for the GRU, W_hi for the LSTM): a checkpoint's H is read off
     * its shape. Found by declaring a layer with H = 1, so no cell has to name it twice.
     */
    public String firstRecurrentWeight() {
        Parameters.Builder b = Parameters.builder();
        newLayer(new RecurrentLayer.Setup(1, 1, false, "", Activation.TANH, null, null), b);
        for (Parameters.Tensor t : b.build().tensors()) {
            if (t.role() == Parameters.Role.RECURRENT_WEIGHT) return t.name();
        }
        throw new IllegalStateException("cell " + name + " declares no recurrent weight");
    }

    @Override
    public String toString() {
        return name;
    }
}
