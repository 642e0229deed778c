package charlm;

/**
 * A problem with what the user asked for (a missing file, a bad setting, a damaged checkpoint).
 * Its message is one line that says what is wrong and what to do; the command line prints it
 * without a stack trace and exits with {@link #exitCode()}.
 */
public class CharlmException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CharlmException(String message) {
        this(message, 2, null);
    }

    public CharlmException(String message, Throwable cause) {
        this(message, 2, cause);
    }

    public CharlmException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** 2 for bad input (the default), 3 for a training run that diverged. */
    public int exitCode() {
        return exitCode;
    }
}
