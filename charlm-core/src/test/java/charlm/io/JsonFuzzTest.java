package charlm.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the JSON parser under the safetensors header, its vocabulary entry and config.json
 * (Jazzer). The property and how to run it for longer are in {@link FuzzProperty}; mvn verify
 * replays the inputs in JsonFuzzTestInputs/ and then fuzzes for
 * {@link FuzzProperty#VERIFY_EXECUTIONS} executions.
 */
class JsonFuzzTest {
    @FuzzTest(maxExecutions = FuzzProperty.VERIFY_EXECUTIONS)
    void parseJson(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        FuzzProperty.holds(input, () -> Json.parse(text));
    }
}
