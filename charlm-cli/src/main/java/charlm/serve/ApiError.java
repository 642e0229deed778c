package charlm.serve;

/** A request the server refuses: the HTTP status and one sentence saying what is wrong and what to do. */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String retryAfter;

    ApiError(int status, String message) {
        this(status, message, null);
    }

    ApiError(int status, String message, String retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }
}
