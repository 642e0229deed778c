package charlm.settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.DoublePredicate;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a setting's value is written on the command line and in JSON, and read back: four conversions
 * and the values allowed at all. Parsing throws IllegalArgumentException with no message of its own:
 * {@link Setting} words the one-line error. Leaves out checks of range ("positive", "below 1"): those
 * belong to the setting.
 */
public final class ValueType<T> {
    private final Function<String, T> parse;
    private final Function<T, String> format;
    private final Function<T, Object> toJson;
    private final Function<Object, T> fromJson;
    private final Supplier<List<String>> choices;

    private ValueType(Function<String, T> parse, Function<T, String> format, Function<T, Object> toJson, Function<Object, T> fromJson,
                      Supplier<List<String>> choices) {
        this.parse = parse;
        this.format = format;
        this.toJson = toJson;
        this.fromJson = fromJson;
        this.choices = choices;
    }

    public T parse(String text) {
        return parse.apply(text);
    }

    /** The value as JSON writes it: a number, a string, a boolean or null. */
    public Object toJson(T value) {
        return toJson.apply(value);
    }

    public T fromJson(Object json) {
        return fromJson.apply(json);
    }

    /** The value as a person types it, e.g. on the command line. */
    public String format(T value) {
        return format.apply(value);
    }

    /** The values allowed at all, or an empty list when any value of the type will do. */
    public List<String> choices() {
        return choices.get();
    }

    public static final ValueType<Integer> INTEGER = number(t -> Integer.valueOf(t.strip()), Object::toString,
            d -> d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE, Number::intValue);

    public static final ValueType<Long> LONG = number(t -> Long.valueOf(t.strip()), Object::toString, d -> d == Math.rint(d), Number::longValue);

    /** A finite decimal number. */
    public static final ValueType<Double> DECIMAL = number(t -> finite(Double.parseDouble(t.strip())), ValueType::formatNumber,
            Double::isFinite, Number::doubleValue);

    /**
     * A finite decimal number or "auto" (null): the value then follows another setting, as the outer
     * optimizer's rate and momentum follow the outer optimizer.
     */
    public static final ValueType<Double> DECIMAL_OR_AUTO = new ValueType<>(
            t -> t.strip().equalsIgnoreCase("auto") ? null : DECIMAL.parse(t),
            v -> v == null ? "auto" : formatNumber(v), v -> v == null ? null : v,
            json -> json == null || "auto".equals(json) ? null : DECIMAL.fromJson(json), List::of);

    /** A positive number or "none", which reads as +infinity (no limit): the clipping threshold. */
    public static final ValueType<Double> NUMBER_OR_NONE = new ValueType<>(
            t -> t.strip().equalsIgnoreCase("none") ? Double.POSITIVE_INFINITY : DECIMAL.parse(t),
            v -> v.isInfinite() ? "none" : formatNumber(v), v -> v.isInfinite() ? "none" : v,
            json -> "none".equals(json) ? Double.POSITIVE_INFINITY : DECIMAL.fromJson(json), List::of);

    public static final ValueType<Boolean> BOOLEAN = new ValueType<>(t -> switch (t.strip().toLowerCase(Locale.ROOT)) {
        case "true" -> true;
        case "false" -> false;
        default -> throw new IllegalArgumentException();
    }, Object::toString, v -> v, json -> as(Boolean.class, json), () -> List.of("true", "false"));

    /** Any text, kept as it is. */
    public static final ValueType<String> TEXT = written(t -> t, t -> t, List::of);

    /** A file or folder; null (no value) is allowed and means "the default place". JSON holds it absolute. */
    public static final ValueType<Path> PATH = orNull("", new ValueType<>(ValueType::path, Path::toString,
            p -> p.toAbsolutePath().normalize().toString(), json -> path(as(String.class, json)), List::of));

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([smh]?)");

    /**
     * A length of time: a number with a unit, s, m or h, or several ("90s", "10m", "1h30m"); a bare
     * number is seconds. Null (no value) means no limit.
     */
    public static final ValueType<Duration> DURATION = orNull("none", written(ValueType::duration, ValueType::formatDuration, List::of));

    /**
     * A type with a syntax of its own (--checkpoint-every's epochs, steps or time), from its four
     * conversions; each throws IllegalArgumentException on what it cannot read.
     */
    public static <T> ValueType<T> of(Function<String, T> parse, Function<T, String> format, Function<T, Object> toJson,
                                      Function<Object, T> fromJson) {
        return new ValueType<>(parse, format, toJson, fromJson, List::of);
    }

    /** One of a list of names, read case-insensitively; the list may grow (a registry). */
    public static ValueType<String> oneOf(Supplier<List<String>> names) {
        return oneOf(names, n -> n);
    }

    /** One of an enum's constants, by its command-line name (lower case, '-' for '_'). */
    public static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
        return oneOf(() -> List.of(type.getEnumConstants()), ValueType::cliName);
    }

    private static <T> ValueType<T> oneOf(Supplier<List<T>> values, Function<T, String> name) {
        return written(text -> {
            for (T v : values.get()) if (name.apply(v).equalsIgnoreCase(text.strip())) return v;
            throw new IllegalArgumentException();
        }, name, () -> values.get().stream().map(name).toList());
    }

    /** An enum constant as the command line writes it: TANH is "tanh", BOOK_RANDOM is "book-random". */
    public static String cliName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A number as short as it reads exactly: 1 rather than 1.0, 0.001 rather than 1.0E-3. */
    public static String formatNumber(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    /** A number, in JSON as itself; fromJson takes any JSON number that fits and converts it. */
    private static <T> ValueType<T> number(Function<String, T> parse, Function<T, String> format, DoublePredicate fits,
                                           Function<Number, T> convert) {
        return new ValueType<>(parse, format, v -> v, json -> {
            Number n = as(Number.class, json);
            if (!fits.test(n.doubleValue())) throw new IllegalArgumentException();
            return convert.apply(n);
        }, List::of);
    }

    /** A value JSON holds as it is typed: a string that parse reads back. */
    private static <T> ValueType<T> written(Function<String, T> parse, Function<T, String> format, Supplier<List<String>> choices) {
        return new ValueType<>(parse, format, format::apply, json -> parse.apply(as(String.class, json)), choices);
    }

    /** type, with null (no value) allowed: JSON null, and typed as none says. */
    private static <T> ValueType<T> orNull(String none, ValueType<T> type) {
        return new ValueType<>(type.parse, v -> v == null ? none : type.format(v), v -> v == null ? null : type.toJson(v),
                json -> json == null ? null : type.fromJson(json), type.choices);
    }

    private static <J> J as(Class<J> kind, Object json) {
        if (kind.isInstance(json)) return kind.cast(json);
        throw new IllegalArgumentException();
    }

    private static double finite(double d) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException();
        return d;
    }

    private static Path path(String text) {
        if (text.isBlank()) throw new IllegalArgumentException();
        return Path.of(text);
    }

    private static Duration duration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) throw new IllegalArgumentException();
        Matcher m = DURATION_PART.matcher(t);
        double seconds = 0;
        int at = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            if (m.group(2).isEmpty() && m.end() != t.length()) throw new IllegalArgumentException();
            double v = Double.parseDouble(m.group(1));
            seconds += switch (m.group(2)) {
                case "h" -> v * 3600;
                case "m" -> v * 60;
                default -> v;
            };
            at = m.end();
        }
        if (at != t.length() || !(seconds < 1e9)) throw new IllegalArgumentException();
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    private static String formatDuration(Duration value) {
        long ms = value.toMillis();
        if (ms % 1000 != 0) return formatNumber(ms / 1000.0) + "s";
        long s = ms / 1000, h = s / 3600, m = s % 3600 / 60, sec = s % 60;
        return (h > 0 ? h + "h" : "") + (m > 0 ? m + "m" : "") + (sec > 0 || s == 0 ? sec + "s" : "");
    }
}
