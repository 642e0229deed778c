package charlm.model;

import java.util.Locale;

/** How a token enters the network: the chapter's one-hot vector, or a learned embedding (exercise 1). */
public enum InputKind {
    ONEHOT, EMBEDDING;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
