package charlm.serve;

/**
 * What one request may ask of the server, and how many may be served at once. Each limit is
 * declared here once; the page reads them from /api/model, docs/serve.md documents them, and every
 * request beyond one gets a 4xx (or 503) JSON error naming the limit.
 *
 * @param maxBodyBytes   request body, in bytes (413 beyond)
 * @param maxPrefixChars prefix of /api/generate, in characters
 * @param maxLength      characters generated per request
 * @param maxScoreChars  text of /api/score, in characters
 * @param maxInFlight    generate and score requests served at once (503 with Retry-After beyond)
 * @param maxWatchers    pages following /api/events at once (503 beyond)
 */
public record Limits(int maxBodyBytes, int maxPrefixChars, int maxLength, int maxScoreChars, int maxInFlight, int maxWatchers) {
    public static final int MAX_BODY_BYTES = 64 * 1024;
    public static final int MAX_PREFIX_CHARS = 1_000;
    public static final int MAX_LENGTH = 2_000;
    public static final int MAX_SCORE_CHARS = 20_000;
    public static final int DEFAULT_IN_FLIGHT = 8;
    public static final int MAX_IN_FLIGHT = 256;
    public static final int MAX_WATCHERS = 16;

    public Limits {
        if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT) {
            throw new IllegalArgumentException("in-flight limit must be 1 to " + MAX_IN_FLIGHT + ", got " + maxInFlight);
        }
    }

    /** The documented limits, with maxInFlight requests at once. */
    public static Limits standard(int maxInFlight) {
        return new Limits(MAX_BODY_BYTES, MAX_PREFIX_CHARS, MAX_LENGTH, MAX_SCORE_CHARS, maxInFlight, MAX_WATCHERS);
    }
}
