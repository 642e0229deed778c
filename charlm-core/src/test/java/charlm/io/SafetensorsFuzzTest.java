package charlm.io;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the safetensors reader over bytes in memory (Jazzer). The property and how to run it for
 * longer are in {@link FuzzProperty}; mvn verify replays the inputs in SafetensorsFuzzTestInputs/
 * and then fuzzes for {@link FuzzProperty#VERIFY_EXECUTIONS} executions.
 */
class SafetensorsFuzzTest {
    @FuzzTest(maxExecutions = FuzzProperty.VERIFY_EXECUTIONS)
    void readSafetensors(byte[] input) {
        FuzzProperty.holds(input, () -> Safetensors.read(input, "checkpoint fuzz.safetensors"));
    }
}
