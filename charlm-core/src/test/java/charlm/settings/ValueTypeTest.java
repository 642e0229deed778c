package charlm.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How each kind of value is typed, written to JSON and read back: the forms the options' help and old
 * config.json files use (written out here, not computed), and the values each kind refuses.
 */
class ValueTypeTest {

    private enum Shape { ROUND, BOOK_RANDOM }

    private static void refusesText(ValueType<?> type, String... texts) {
        for (String t : texts) assertThatThrownBy(() -> type.parse(t)).as(t).isInstanceOf(IllegalArgumentException.class);
    }

    private static void refusesJson(ValueType<?> type, Object... jsons) {
        for (Object j : jsons) assertThatThrownBy(() -> type.fromJson(j)).as(String.valueOf(j)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wholeNumbers() {
        assertThat(ValueType.INTEGER.parse(" 42 ")).isEqualTo(42);
        refusesText(ValueType.INTEGER, "4.5", "99999999999", "", "x");
        assertThat(ValueType.INTEGER.fromJson(3.0)).isEqualTo(3);
        refusesJson(ValueType.INTEGER, 3.5, 3e10, "3", null, true);
        assertThat(ValueType.INTEGER.toJson(7)).isEqualTo(7);
        assertThat(ValueType.INTEGER.format(-7)).isEqualTo("-7");
        assertThat(ValueType.INTEGER.choices()).isEmpty();

        assertThat(ValueType.LONG.parse("-5")).isEqualTo(-5L);
        assertThat(ValueType.LONG.fromJson(1e12)).isEqualTo(1_000_000_000_000L);
        refusesJson(ValueType.LONG, 0.5, "1", null);
        assertThat(ValueType.LONG.toJson(9L)).isEqualTo(9L);
        assertThat(ValueType.LONG.format(9L)).isEqualTo("9");
    }

    @Test
    void decimals() {
        assertThat(ValueType.DECIMAL.parse(" 1e-3")).isEqualTo(0.001);
        refusesText(ValueType.DECIMAL, "NaN", "Infinity", "1e400", "none", "");
        assertThat(ValueType.DECIMAL.format(0.001)).isEqualTo("0.001");
        assertThat(ValueType.DECIMAL.format(1.0)).isEqualTo("1");
        assertThat(ValueType.DECIMAL.format(1e-8)).isEqualTo("0.00000001");
        assertThat(ValueType.DECIMAL.fromJson(2.5)).isEqualTo(2.5);
        assertThat(ValueType.DECIMAL.fromJson(2L)).isEqualTo(2.0);
        refusesJson(ValueType.DECIMAL, Double.NaN, "2.5", null);
        assertThat(ValueType.DECIMAL.toJson(2.5)).isEqualTo(2.5);

        assertThat(ValueType.NUMBER_OR_NONE.parse(" None ")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(ValueType.NUMBER_OR_NONE.parse("2")).isEqualTo(2.0);
        refusesText(ValueType.NUMBER_OR_NONE, "nothing", "Infinity");
        assertThat(ValueType.NUMBER_OR_NONE.toJson(Double.POSITIVE_INFINITY)).isEqualTo("none");
        assertThat(ValueType.NUMBER_OR_NONE.toJson(2.0)).isEqualTo(2.0);
        assertThat(ValueType.NUMBER_OR_NONE.fromJson("none")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(ValueType.NUMBER_OR_NONE.fromJson(0.5)).isEqualTo(0.5);
        refusesJson(ValueType.NUMBER_OR_NONE, "NONE", "1", null);
        assertThat(ValueType.NUMBER_OR_NONE.format(Double.POSITIVE_INFINITY)).isEqualTo("none");
        assertThat(ValueType.NUMBER_OR_NONE.format(0.25)).isEqualTo("0.25");
    }

    @Test
    void booleansAndText() {
        assertThat(ValueType.BOOLEAN.parse(" TRUE ")).isTrue();
        assertThat(ValueType.BOOLEAN.parse("false")).isFalse();
        refusesText(ValueType.BOOLEAN, "yes", "1", "");
        assertThat(ValueType.BOOLEAN.fromJson(false)).isFalse();
        refusesJson(ValueType.BOOLEAN, "true", 1.0, null);
        assertThat(ValueType.BOOLEAN.toJson(true)).isEqualTo(true);
        assertThat(ValueType.BOOLEAN.format(false)).isEqualTo("false");
        assertThat(ValueType.BOOLEAN.choices()).containsExactly("true", "false");

        assertThat(ValueType.TEXT.parse(" a b ")).isEqualTo(" a b ");
        assertThat(ValueType.TEXT.fromJson("x y")).isEqualTo("x y");
        refusesJson(ValueType.TEXT, 3.0, null);
        assertThat(ValueType.TEXT.toJson("x")).isEqualTo("x");
        assertThat(ValueType.TEXT.format("x")).isEqualTo("x");
        assertThat(ValueType.TEXT.choices()).isEmpty();
    }

    @Test
    void paths() {
        assertThat(ValueType.PATH.parse("a/b")).isEqualTo(Path.of("a/b"));
        refusesText(ValueType.PATH, "", "  ");
        assertThat(ValueType.PATH.toJson(null)).isNull();
        assertThat(ValueType.PATH.toJson(Path.of("a/../b"))).isEqualTo(Path.of("b").toAbsolutePath().toString());
        assertThat(ValueType.PATH.fromJson(null)).isNull();
        assertThat(ValueType.PATH.fromJson("/x/y")).isEqualTo(Path.of("/x/y"));
        refusesJson(ValueType.PATH, "", " ", 1.0);
        assertThat(ValueType.PATH.format(null)).isEmpty();
        assertThat(ValueType.PATH.format(Path.of("a/b"))).isEqualTo("a/b");
    }

    @Test
    void durations() {
        assertThat(ValueType.DURATION.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ValueType.DURATION.parse(" 10M ")).isEqualTo(Duration.ofMinutes(10));
        assertThat(ValueType.DURATION.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(ValueType.DURATION.parse("1.5")).isEqualTo(Duration.ofMillis(1500));
        assertThat(ValueType.DURATION.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(ValueType.DURATION.parse("5m3")).as("a bare number last is seconds").isEqualTo(Duration.ofSeconds(303));
        refusesText(ValueType.DURATION, "5x", "10 m", "-5m", "", "1e9", "1000000000", "3 5m", "m");
        assertThat(ValueType.DURATION.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(ValueType.DURATION.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(ValueType.DURATION.format(Duration.ofHours(2).plusSeconds(5))).isEqualTo("2h5s");
        assertThat(ValueType.DURATION.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(ValueType.DURATION.format(null)).isEqualTo("none");
        assertThat(ValueType.DURATION.toJson(null)).isNull();
        assertThat(ValueType.DURATION.toJson(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(ValueType.DURATION.fromJson("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ValueType.DURATION.fromJson(null)).isNull();
        refusesJson(ValueType.DURATION, 90.0, "soon");
        assertThat(ValueType.DURATION.choices()).isEmpty();
    }

    @Test
    void namesFromARegistryThatMayGrow() {
        List<String> names = new ArrayList<>(List.of("sgd", "adam"));
        ValueType<String> type = ValueType.oneOf(() -> List.copyOf(names));
        assertThat(type.parse(" Adam ")).isEqualTo("adam");
        refusesText(type, "momentum", "");
        names.add("momentum");
        assertThat(type.parse("momentum")).isEqualTo("momentum");
        assertThat(type.choices()).containsExactly("sgd", "adam", "momentum");
        assertThat(type.fromJson("ADAM")).isEqualTo("adam");
        refusesJson(type, 1.0, null, "rmsprop");
        assertThat(type.toJson("adam")).isEqualTo("adam");
        assertThat(type.format("adam")).isEqualTo("adam");
    }

    @Test
    void enumConstantsByTheirCommandLineNames() {
        ValueType<Shape> type = ValueType.oneOf(Shape.class);
        assertThat(type.parse("Book-Random")).isEqualTo(Shape.BOOK_RANDOM);
        refusesText(type, "book_random", "square");
        assertThat(type.format(Shape.BOOK_RANDOM)).isEqualTo("book-random");
        assertThat(type.toJson(Shape.BOOK_RANDOM)).isEqualTo("book-random");
        assertThat(type.fromJson("round")).isEqualTo(Shape.ROUND);
        refusesJson(type, 0.0, null);
        assertThat(type.choices()).containsExactly("round", "book-random");
        assertThat(ValueType.cliName(Shape.BOOK_RANDOM)).isEqualTo("book-random");
        assertThat(ValueType.formatNumber(1e20)).isEqualTo("100000000000000000000");
        assertThat(ValueType.formatNumber(-3.0)).isEqualTo("-3");
    }
}
