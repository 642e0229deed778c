package charlm.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The registry of recurrent cells: the chapter's RNN, and the book's GRU and LSTM, in that order.
 * A new cell is its layer class (with its TYPE) plus one registration: a line in the list below for
 * a built-in cell, or a {@link #register} call (as the tests do for theirs). The command line,
 * checkpoints and the stacked model then find it by name.
 */
public final class Cells {
    public static final CellType RNN = RnnLayer.TYPE;
    public static final CellType GRU = GruLayer.TYPE;
    public static final CellType LSTM = LstmLayer.TYPE;

    private static final List<CellType> REGISTERED = new ArrayList<>(List.of(RNN, GRU, LSTM));

    private Cells() {
    }

    /**
     * Adds a cell. Registering the same type again does nothing; another type under a name already
     * taken is refused.
     */
    public static synchronized void register(CellType type) {
        for (CellType known : REGISTERED) {
            if (known.name().equalsIgnoreCase(type.name())) {
                if (known.equals(type)) return;
                throw new IllegalArgumentException("a cell named " + type.name() + " is already registered");
            }
        }
        REGISTERED.add(type);
    }

    /** The cell of this name (case does not matter). */
    public static synchronized CellType get(String name) {
        for (CellType type : REGISTERED) if (type.name().equalsIgnoreCase(name)) return type;
        throw new IllegalArgumentException("unknown cell \"" + name + "\"; known cells: " + names());
    }

    /** Every registered cell, in registration order. */
    public static synchronized List<CellType> all() {
        return List.copyOf(REGISTERED);
    }

    private static String names() {
        StringBuilder b = new StringBuilder();
        for (CellType type : REGISTERED) b.append(b.length() == 0 ? "" : ", ").append(type.name());
        return b.toString();
    }
}
