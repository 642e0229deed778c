package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
