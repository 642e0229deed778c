package charlm.settings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a setting's value is written on the command line and in JSON, and read back. Parsing throws
 * IllegalArgumentException with no message of its own: {@link Setting} words the one-line error.
 * Leaves out checks of range ("positive", "below 1"): those belong to the setting.
 */
public interface ValueType<T> {

    T parse(String text);

    /** The value as JSON writes it: a number, a string, a boolean or null. */
    Object toJson(T value);

    T fromJson(Object json);

    /** The value as a person types it, e.g. on the command line. */
    String format(T value);

    /** The values allowed at all, or an empty list when any value of the type will do. */
    default List<String> choices() {
        return List.of();
    }

    ValueType<Integer> INTEGER = new ValueType<>() {
        @Override
        public Integer parse(String text) {
            return Integer.valueOf(text.strip());
        }

        @Override
        public Object toJson(Integer value) {
            return value;
        }

        @Override
        public Integer fromJson(Object json) {
            if (json instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
                return n.intValue();
            }
            throw new IllegalArgumentException();
        }

        @Override
        public String format(Integer value) {
            return value.toString();
        }
    };

    ValueType<Long> LONG = new ValueType<>() {
        @Override
        public Long parse(String text) {
            return Long.valueOf(text.strip());
        }

        @Override
        public Object toJson(Long value) {
            return value;
        }

        @Override
        public Long fromJson(Object json) {
            if (json instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
            throw new IllegalArgumentException();
        }

        @Override
        public String format(Long value) {
            return value.toString();
        }
    };

    /** A finite decimal number. */
    ValueType<Double> DECIMAL = new ValueType<>() {
        @Override
        public Double parse(String text) {
            double d = Double.parseDouble(text.strip());
            if (!Double.isFinite(d)) throw new IllegalArgumentException();
            return d;
        }

        @Override
        public Object toJson(Double value) {
            return value;
        }

        @Override
        public Double fromJson(Object json) {
            if (json instanceof Number n && Double.isFinite(n.doubleValue())) return n.doubleValue();
            throw new IllegalArgumentException();
        }

        @Override
        public String format(Double value) {
            return formatNumber(value);
        }
    };

    /** A positive number or "none", which reads as +infinity (no limit): the clipping threshold. */
    ValueType<Double> NUMBER_OR_NONE = new ValueType<>() {
        @Override
        public Double parse(String text) {
            if (text.strip().equalsIgnoreCase("none")) return Double.POSITIVE_INFINITY;
            return DECIMAL.parse(text);
        }

        @Override
        public Object toJson(Double value) {
            return value.isInfinite() ? "none" : value;
        }

        @Override
        public Double fromJson(Object json) {
            if ("none".equals(json)) return Double.POSITIVE_INFINITY;
            return DECIMAL.fromJson(json);
        }

        @Override
        public String format(Double value) {
            return value.isInfinite() ? "none" : formatNumber(value);
        }
    };

    ValueType<Boolean> BOOLEAN = new ValueType<>() {
        @Override
        public Boolean parse(String text) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            if (t.equals("true")) return true;
            if (t.equals("false")) return false;
            throw new IllegalArgumentException();
        }

        @Override
        public Object toJson(Boolean value) {
            return value;
        }

        @Override
        public Boolean fromJson(Object json) {
            if (json instanceof Boolean b) return b;
            throw new IllegalArgumentException();
        }

        @Override
        public String format(Boolean value) {
            return value.toString();
        }

        @Override
        public List<String> choices() {
            return List.of("true", "false");
        }
    };

    /** Any text, kept as it is. */
    ValueType<String> TEXT = new ValueType<>() {
        @Override
        public String parse(String text) {
            return text;
        }

        @Override
        public Object toJson(String value) {
            return value;
        }

        @Override
        public String fromJson(Object json) {
            if (json instanceof String s) return s;
            throw new IllegalArgumentException();
        }

        @Override
        public String format(String value) {
            return value;
        }
    };

    /** A file or folder; null (no value) is allowed and means "the default place". */
    ValueType<Path> PATH = new ValueType<>() {
        @Override
        public Path parse(String text) {
            if (text.isBlank()) throw new IllegalArgumentException();
            return Path.of(text);
        }

        @Override
        public Object toJson(Path value) {
            return value == null ? null : value.toAbsolutePath().normalize().toString();
        }

        @Override
        public Path fromJson(Object json) {
            if (json == null) return null;
            if (json instanceof String s && !s.isBlank()) return Path.of(s);
            throw new IllegalArgumentException();
        }

        @Override
        public String format(Path value) {
            return value == null ? "" : value.toString();
        }
    };

    /**
     * A length of time: a number with a unit, s, m or h, or several ("90s", "10m", "1h30m"); a bare
     * number is seconds. Null (no value) means no limit.
     */
    ValueType<java.time.Duration> DURATION = new ValueType<>() {
        @Override
        public java.time.Duration parse(String text) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) throw new IllegalArgumentException();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)([smh]?)").matcher(t);
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
            return java.time.Duration.ofMillis(Math.round(seconds * 1000));
        }

        @Override
        public Object toJson(java.time.Duration value) {
            return value == null ? null : format(value);
        }

        @Override
        public java.time.Duration fromJson(Object json) {
            if (json == null) return null;
            if (json instanceof String s) return parse(s);
            throw new IllegalArgumentException();
        }

        @Override
        public String format(java.time.Duration value) {
            if (value == null) return "none";
            long ms = value.toMillis();
            if (ms % 1000 != 0) return formatNumber(ms / 1000.0) + "s";
            long s = ms / 1000, h = s / 3600, m = s % 3600 / 60, sec = s % 60;
            return (h > 0 ? h + "h" : "") + (m > 0 ? m + "m" : "") + (sec > 0 || s == 0 ? sec + "s" : "");
        }
    };

    /** One of a list of names, read case-insensitively; the list may grow (a registry). */
    static ValueType<String> oneOf(Supplier<List<String>> names) {
        return new ValueType<>() {
            @Override
            public String parse(String text) {
                for (String n : names.get()) if (n.equalsIgnoreCase(text.strip())) return n;
                throw new IllegalArgumentException();
            }

            @Override
            public Object toJson(String value) {
                return value;
            }

            @Override
            public String fromJson(Object json) {
                if (json instanceof String s) return parse(s);
                throw new IllegalArgumentException();
            }

            @Override
            public String format(String value) {
                return value;
            }

            @Override
            public List<String> choices() {
                return names.get();
            }
        };
    }

    /** One of an enum's constants, by its command-line name (lower case, '-' for '_'). */
    static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
        Function<E, String> name = e -> cliName(e);
        return new ValueType<>() {
            @Override
            public E parse(String text) {
                for (E e : type.getEnumConstants()) if (name.apply(e).equalsIgnoreCase(text.strip())) return e;
                throw new IllegalArgumentException();
            }

            @Override
            public Object toJson(E value) {
                return name.apply(value);
            }

            @Override
            public E fromJson(Object json) {
                if (json instanceof String s) return parse(s);
                throw new IllegalArgumentException();
            }

            @Override
            public String format(E value) {
                return name.apply(value);
            }

            @Override
            public List<String> choices() {
                List<String> out = new ArrayList<>();
                for (E e : type.getEnumConstants()) out.add(name.apply(e));
                return out;
            }
        };
    }

    /** An enum constant as the command line writes it: TANH is "tanh", BOOK_RANDOM is "book-random". */
    static String cliName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A number as short as it reads exactly: 1 rather than 1.0, 0.001 rather than 1.0E-3. */
    static String formatNumber(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
