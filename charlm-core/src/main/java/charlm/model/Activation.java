package charlm.model;

import java.util.Locale;

/** The hidden layer's nonlinearity: the chapter's tanh, or ReLU (exercise 6). */
public enum Activation {
    TANH, RELU;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
