package charlm.model;

import java.util.Locale;

/** The recurrent cell: the chapter's plain RNN, or the book's next chapters' GRU and LSTM. */
public enum CellKind {
    RNN, GRU, LSTM;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CellKind parse(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
