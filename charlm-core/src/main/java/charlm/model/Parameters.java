package charlm.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * All parameters of a model in one flat float[] with a table of name, offset and shape; the
 * gradients mirror it. Clipping, SGD and checkpoints are then flat loops over one array.
 *
 * <p>A tensor may be kept transposed inside (the output weights W_hq live as (V, H) so that the
 * long dimension is the vector dimension); {@link Tensor#shape()} is always the chapter's shape,
 * and checkpoints are written in it.
 */
public final class Parameters {

    /**
     * What a tensor is for in the network, so that a whole-model pass (initialisation, and later
     * options such as a forget-gate bias) can treat every tensor of a kind alike without knowing
     * the cells' names.
     */
    public enum Role {
        EMBEDDING,
        /** W_x*: (D, H), from a layer's input to one of its gates. */
        INPUT_WEIGHT,
        /** W_h*: (H, H), from the previous state to one of a layer's gates. */
        RECURRENT_WEIGHT,
        BIAS,
        /** The LSTM's b_f, a bias of its own kind because it is often started above zero. */
        FORGET_GATE_BIAS,
        OUTPUT_WEIGHT
    }

    /** One named tensor: its chapter shape, where it starts, whether it is stored transposed, and its role. */
    public record Tensor(String name, int offset, int[] shape, boolean storedTransposed, Role role) {
        public int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    public final float[] data;
    public final float[] grad;
    private final List<Tensor> tensors;

    private Parameters(List<Tensor> tensors, int size) {
        this.tensors = Collections.unmodifiableList(tensors);
        this.data = new float[size];
        this.grad = new float[size];
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    public Tensor tensor(String name) {
        for (Tensor t : tensors) if (t.name.equals(name)) return t;
        throw new IllegalArgumentException("no parameter named " + name);
    }

    public int size() {
        return data.length;
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grad, 0f);
    }

    /** A tensor's values in the chapter's shape, row-major (un-transposed if stored transposed). */
    public float[] read(Tensor t, float[] from) {
        float[] out = new float[t.size()];
        if (!t.storedTransposed) {
            System.arraycopy(from, t.offset, out, 0, out.length);
        } else {
            int rows = t.shape[0], cols = t.shape[1];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) out[i * cols + j] = from[t.offset + j * rows + i];
        }
        return out;
    }

    /** Sets a tensor from values in the chapter's shape, row-major. */
    public void write(Tensor t, float[] values, float[] into) {
        if (values.length != t.size()) throw new IllegalArgumentException(t.name + ": expected " + t.size() + " values, got " + values.length);
        if (!t.storedTransposed) {
            System.arraycopy(values, 0, into, t.offset, values.length);
        } else {
            int rows = t.shape[0], cols = t.shape[1];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) into[t.offset + j * rows + i] = values[i * cols + j];
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lays tensors out one after another in the order they are added. A tensor's offset is fixed
     * when it is added, so {@link #add} hands it back at once and a layer keeps it in a field.
     */
    public static final class Builder {
        private final List<Tensor> tensors = new ArrayList<>();
        private int size;

        public Tensor add(String name, Role role, int... shape) {
            return add(name, role, false, shape);
        }

        /** A (rows, cols) tensor kept as (cols, rows) inside; its shape stays (rows, cols). */
        public Tensor addTransposed(String name, Role role, int rows, int cols) {
            return add(name, role, true, rows, cols);
        }

        private Tensor add(String name, Role role, boolean transposed, int... shape) {
            for (Tensor t : tensors) if (t.name.equals(name)) throw new IllegalArgumentException("two parameters named " + name);
            Tensor t = new Tensor(name, size, shape.clone(), transposed, role);
            long next = (long) size + t.size();
            if (next > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("model too large for one float[]");
            tensors.add(t);
            size = (int) next;
            return t;
        }

        public Parameters build() {
            return new Parameters(tensors, size);
        }
    }
}
