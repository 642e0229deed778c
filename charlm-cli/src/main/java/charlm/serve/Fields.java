package charlm.serve;

import charlm.io.Json;
import java.util.List;
import java.util.Map;

/**
 * The fields of a JSON request body, read strictly: the body must be one object, every field must be
 * one the endpoint knows, and each is read as the type it must have. A JSON null counts as absent.
 * Every problem is an {@link ApiError} 400 naming the field, what it must be, and what it was.
 */
final class Fields {
    /** Seeds and counts must survive the trip through a JSON number (a double): |x| ≤ 2^53. */
    static final double MAX_EXACT = 9_007_199_254_740_992.0;
    /** Nesting a flat request never needs; deeper bodies are refused before parsing. */
    private static final int MAX_DEPTH = 8;

    private final Map<?, ?> body;

    private Fields(Map<?, ?> body) {
        this.body = body;
    }

    /** Parses body as a JSON object whose keys are all in known (listed in the error otherwise). */
    static Fields parse(String text, List<String> known) {
        checkDepth(text);
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (RuntimeException e) {
            throw new ApiError(400, "the body is not valid JSON (" + e.getMessage() + "); send one JSON object such as {\"prefix\": \"time traveller\"}");
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new ApiError(400, "the body must be a JSON object such as {\"prefix\": \"time traveller\"}, got " + kind(parsed));
        }
        for (Object key : map.keySet()) {
            if (!known.contains(key)) {
                throw new ApiError(400, "unknown field '" + key + "'; this endpoint takes " + String.join(", ", known));
            }
        }
        return new Fields(map);
    }

    private static void checkDepth(String text) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > MAX_DEPTH) throw new ApiError(400, "the body nests deeper than " + MAX_DEPTH + " levels; send one flat JSON object");
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
    }

    boolean has(String name) {
        return body.get(name) != null;
    }

    String string(String name, String otherwise) {
        Object v = body.get(name);
        if (v == null) return otherwise;
        if (v instanceof String s) return s;
        throw wrongType(name, "a string", v);
    }

    /** A whole number in [min, max]; 50 and 50.0 are both whole. */
    long whole(String name, long otherwise, long min, long max) {
        Object v = body.get(name);
        if (v == null) return otherwise;
        if (!(v instanceof Double d) || d != Math.rint(d) || Double.isInfinite(d)) throw wrongType(name, "a whole number", v);
        if (Math.abs(d) > MAX_EXACT || d < min || d > max) {
            throw new ApiError(400, "field '" + name + "' must be from " + min + " to " + max + ", got " + shown(v));
        }
        return d.longValue();
    }

    /** A finite number greater than zero, or null when absent. */
    Double positive(String name) {
        Object v = body.get(name);
        if (v == null) return null;
        if (!(v instanceof Double d)) throw wrongType(name, "a number", v);
        if (!(d > 0) || d.isInfinite()) throw new ApiError(400, "field '" + name + "' must be a number greater than 0, got " + shown(v));
        return d;
    }

    private static ApiError wrongType(String name, String what, Object v) {
        return new ApiError(400, "field '" + name + "' must be " + what + ", got " + kind(v) + " " + shown(v));
    }

    /** A value as JSON, cut short: an error line should not echo a whole body back. */
    static String shown(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) v = d.longValue(); // 5000, not 5000.0
        String json = Json.write(v);
        return json.length() <= 40 ? json : json.substring(0, 37) + "...";
    }

    private static String kind(Object v) {
        if (v instanceof String) return "a string";
        if (v instanceof Double) return "the number";
        if (v instanceof Boolean) return "the boolean";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        return "null";
    }
}
