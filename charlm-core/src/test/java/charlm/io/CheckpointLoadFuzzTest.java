package charlm.io;

import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the whole load path that eval and generate take (Jazzer): a file on disk, read, checked
 * and turned into a model by Checkpoint.load. The property and how to run it for longer are in
 * {@link FuzzProperty}. mvn verify only replays the inputs in CheckpointLoadFuzzTestInputs/: a
 * fuzzing budget there would sooner or later hit the findings in Checkpoint.java that are not fixed
 * yet (make-fuzz-seeds.py --pending writes them), and fail builds that did not cause them.
 */
class CheckpointLoadFuzzTest {
    private static final Workers SERIAL = Workers.serial();
    private static Path scratch;

    @FuzzTest
    void loadCheckpoint(byte[] input) throws IOException {
        Path file = scratch();
        Files.write(file, input);
        FuzzProperty.holds(input, () -> Checkpoint.load(file, Kernels.get(), SERIAL));
    }

    /**
     * The scratch file, made on first use, after loading each kind of real checkpoint once: the
     * classes and kernels that loads set up are allocations of the JVM, not of an input.
     */
    private static synchronized Path scratch() throws IOException {
        if (scratch == null) {
            scratch = Files.createTempFile("charlm-fuzz", ".safetensors");
            scratch.toFile().deleteOnExit();
            for (String name : new String[] {"golden-v1-rnn", "golden-v1-gru2", "golden-v1-lstm2-embed"}) {
                try (var in = CheckpointLoadFuzzTest.class.getResourceAsStream("/golden/" + name + ".safetensors")) {
                    Files.write(scratch, in.readAllBytes());
                }
                Checkpoint.load(scratch, Kernels.get(), SERIAL);
            }
        }
        return scratch;
    }
}
