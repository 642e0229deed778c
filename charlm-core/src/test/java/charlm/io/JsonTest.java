package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesAndParsesBack() {
        Map<String, Object> v = new java.util.LinkedHashMap<>();
        v.put("vocab", List.of("<unk>", " ", "\"", "\\", "\n", "é"));
        v.put("n", 3);
        v.put("x", 0.5);
        v.put("ok", true);
        v.put("none", null);
        Object back = Json.parse(Json.write(v));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) back;
        assertThat(m.get("vocab")).isEqualTo(List.of("<unk>", " ", "\"", "\\", "\n", "é"));
        assertThat(m.get("n")).isEqualTo(3.0);
        assertThat(m).containsKey("none");
        assertThat(Json.parse(Json.pretty(v))).isEqualTo(back);
        assertThat(Json.parse("[\"\\u00e9\\t\"]")).isEqualTo(List.of("é\t"));
    }

    @Test
    void rejectsBrokenDocumentsWithTheOffset() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1,")).hasMessageContaining("offset");
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("expected ':'");
        assertThatThrownBy(() -> Json.parse("[1] x")).hasMessageContaining("trailing");
    }

    @Test
    void refusesWhatAStrictParserRefuses() {
        String[][] cases = {
            {"{\"a\": 1, \"a\": 2}", "duplicate key \"a\" at offset 9"},
            {"[01]", "expected ',' at offset 2"}, // no leading zeros: the number ends at the 0
            {"[+1]", "unexpected character '+'"},
            {"[.5]", "unexpected character '.'"},
            {"[1.]", "digit must follow the decimal point"},
            {"[1e]", "digit must follow the exponent"},
            {"[NaN]", "unexpected character 'N'"},
            {"[nul]", "unexpected word"},
            {"[1e999]", "number out of range at offset 1"},
            {"[-1e400]", "number out of range"},
            {"[\"\\u12\"]", "bad \\u escape"},
            {"[\"\\u-001\"]", "bad \\u escape"},
            {"[\"\\ud800\"]", "unpaired surrogate U+D800"},
            {"[\"\\udc00\\ud800\"]", "unpaired surrogate"},
            {"[\"a\nb\"]", "unescaped control character U+000A"},
            {"[\"\\q\"]", "bad escape \\'q'"},
            {"\u00a0[]", "unexpected character U+00A0"},
            {"", "unexpected end"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> Json.parse(c[0])).as(c[0]).isInstanceOf(CharlmException.class).hasMessageContaining(c[1])
                    .hasMessageNotContaining("\n");
        }
        assertThat(Json.parse("[\"\\ud83d\\ude00\", 1E+2, -0.5e-1, 0]")).isEqualTo(List.of("\ud83d\ude00", 100.0, -0.05, 0.0));
    }

    @Test
    void nestingIsLimitedLongBeforeTheStackRunsOut() {
        assertThat(Json.parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH))).isInstanceOf(List.class);
        String deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(CharlmException.class)
                .hasMessage("JSON: nested deeper than " + Json.MAX_DEPTH + " levels at offset " + Json.MAX_DEPTH);
        String deepObjects = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deepObjects)).hasMessageContaining("nested deeper");
    }

    @Test
    void briefKeepsUntrustedTextOnOneShortLine() {
        assertThat(Json.brief("W_hh", 40)).isEqualTo("\"W_hh\"");
        assertThat(Json.brief("a\nb\r\u0000", 40)).isEqualTo("\"a\\nb\\r\\u0000\"");
        assertThat(Json.brief("x".repeat(1000), 40)).isEqualTo("\"" + "x".repeat(40) + "\"...");
        assertThat(Json.brief("\n".repeat(1000), 10)).isEqualTo("\"" + "\\n".repeat(10) + "\"...");
        assertThat(Json.brief(List.of(1, 2, 3), 40)).isEqualTo("[1,2,3]");
        assertThat(Json.brief(java.util.Collections.nCopies(1000, 7), 40)).hasSize(43).endsWith("...");
    }
}
