package charlm.io;

import charlm.CharlmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON a safetensors header, its metadata and config.json need: objects, arrays,
 * strings, numbers, booleans and null. Parses into Map / List / String / Double / Boolean / null;
 * writes the same kinds (plus other Numbers) back. Not a general-purpose library.
 *
 * <p>It reads files charlm did not write, so it is strict (RFC 8259 grammar, no duplicate keys,
 * no unpaired surrogates, finite numbers only) and bounded: nesting deeper than {@link #MAX_DEPTH}
 * is refused before it can exhaust the stack, and nothing it allocates is larger than the text.
 */
public final class Json {
    /** Deeper documents are refused; charlm's own are at most 4 levels deep. */
    public static final int MAX_DEPTH = 64;

    private final String s;
    private int i;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    /**
     * Parses a whole document. What is wrong is a CharlmException of one line naming the offset
     * (in characters); callers add which file it came from.
     */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipSpace();
        Object v = p.value();
        p.skipSpace();
        if (p.i != text.length()) throw p.error("trailing characters");
        return v;
    }

    private Object value() {
        if (i >= s.length()) throw error("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        skipSpace();
        if (peek('}')) return leave(m);
        while (true) {
            skipSpace();
            if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
            int at = i;
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object v = value();
            // A repeated key would silently win over the first (a second "W_hh", a second "vocab").
            if (m.containsKey(key)) throw error("duplicate key " + brief(key, 40), at);
            m.put(key, v);
            skipSpace();
            if (peek('}')) return leave(m);
            expect(',');
        }
    }

    private List<Object> array() {
        enter();
        List<Object> a = new ArrayList<>();
        i++;
        skipSpace();
        if (peek(']')) return leave(a);
        while (true) {
            skipSpace();
            a.add(value());
            skipSpace();
            if (peek(']')) return leave(a);
            expect(',');
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
    }

    private <T> T leave(T v) {
        depth--;
        return v;
    }

    private String string() {
        int open = i++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw error("unterminated string", open);
            char c = s.charAt(i++);
            if (c == '"') break;
            if (c < 0x20) throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string", i - 1);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) throw error("unterminated escape");
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    int v = 0;
                    for (int k = 0; k < 4; k++, i++) {
                        int h = i < s.length() ? Character.digit(s.charAt(i), 16) : -1;
                        if (h < 0) throw error("bad \\u escape (four hex digits expected)");
                        v = v * 16 + h;
                    }
                    b.append((char) v);
                }
                default -> throw error("bad escape \\" + printable(e), i - 1);
            }
        }
        for (int k = 0; k < b.length(); k++) {
            char c = b.charAt(k);
            if (Character.isHighSurrogate(c) && k + 1 < b.length() && Character.isLowSurrogate(b.charAt(k + 1))) {
                k++;
            } else if (Character.isSurrogate(c)) {
                throw error("unpaired surrogate U+" + String.format("%04X", (int) c) + " in a string", open);
            }
        }
        return b.toString();
    }

    /** RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and it must fit a double. */
    private Double number() {
        int start = i;
        peek('-');
        if (peek('0')) {
            // no leading zeros
        } else if (!digits()) {
            throw i < s.length() ? error("unexpected character " + printable(s.charAt(i))) : error("unexpected end");
        }
        if (peek('.') && !digits()) throw error("a digit must follow the decimal point");
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (!peek('+')) peek('-');
            if (!digits()) throw error("a digit must follow the exponent");
        }
        double v = Double.parseDouble(s.substring(start, i));
        if (Double.isInfinite(v)) throw error("number out of range", start);
        return v;
    }

    private boolean digits() {
        int start = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        return i > start;
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, i)) throw error("unexpected word");
        i += word.length();
        return value;
    }

    private boolean peek(char c) {
        if (i < s.length() && s.charAt(i) == c) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) throw error("expected '" + c + "'");
    }

    /** JSON's four whitespace characters, nothing else. */
    private void skipSpace() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            i++;
        }
    }

    private CharlmException error(String what) {
        return error(what, i);
    }

    private static CharlmException error(String what, int at) {
        return new CharlmException("JSON: " + what + " at offset " + at);
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    /**
     * A value from an untrusted file as it may appear in a one-line message: its compact JSON (so a
     * string is quoted and no line break or control character gets through), cut to about max
     * characters ("..." after the quote shows a string was cut).
     */
    public static String brief(Object v, int max) {
        if (v instanceof String str && str.length() > max) return write(str.substring(0, max)) + "...";
        String w = write(v);
        return w.length() <= max ? w : w.substring(0, max) + "...";
    }

    // ------------------------------------------------------------------ writing

    /** Compact JSON of a Map / List / String / Number / Boolean / null tree. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b, -1, 0);
        return b.toString();
    }

    /** Indented JSON, for files people read (config.json). */
    public static String pretty(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b, 2, 0);
        return b.append('\n').toString();
    }

    private static void write(Object v, StringBuilder b, int indent, int depth) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            quote(str, b);
        } else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            b.append("null");
        } else if (v instanceof Float f && (f.isNaN() || f.isInfinite())) {
            b.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                newline(b, indent, depth + 1);
                quote(String.valueOf(e.getKey()), b);
                b.append(indent >= 0 ? ": " : ":");
                write(e.getValue(), b, indent, depth + 1);
            }
            if (!m.isEmpty()) newline(b, indent, depth);
            b.append('}');
        } else if (v instanceof List<?> list) {
            b.append('[');
            for (int k = 0; k < list.size(); k++) {
                if (k > 0) b.append(indent >= 0 ? ", " : ",");
                write(list.get(k), b, -1, depth + 1);
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass() + " as JSON");
        }
    }

    private static void newline(StringBuilder b, int indent, int depth) {
        if (indent < 0) return;
        b.append('\n');
        for (int k = 0; k < indent * depth; k++) b.append(' ');
    }

    private static void quote(String str, StringBuilder b) {
        b.append('"');
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
