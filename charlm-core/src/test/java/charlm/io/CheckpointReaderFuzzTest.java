package charlm.io;

import charlm.CharlmException;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of everything that reads a checkpoint someone else wrote: the
 * safetensors reader, the JSON parser under it, and the whole load path of a model. The property,
 * for any bytes at all: the call returns, or it ends in a CharlmException whose message is one
 * clear line; never another exception, a stack overflow or an OutOfMemoryError, and never more
 * memory than a fixed multiple of the input's size (an allocation sized by a number read from the
 * file shows up as a failure even when the heap could have held it).
 *
 * <p>In {@code mvn verify} each target replays the committed corpus in
 * {@code src/test/resources/charlm/io/CheckpointReaderFuzzTestInputs/}: the empty input, the real
 * checkpoints of golden/ and reference/ (real-*), one hand-made file per check the reader makes
 * (written by make-fuzz-seeds.py beside that folder), and in a folder per target the inputs the
 * long runs found. That replay is deterministic and takes a few seconds.
 *
 * <p>The long run is done by hand, one target per JVM, from the repository root:
 * <pre>
 *   JAZZER_FUZZ=1 mvn -B test -pl charlm-core -Dtest='CheckpointReaderFuzzTest#readSafetensors' \
 *       -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.keep_going=20 \
 *       -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=1800
 * </pre>
 * and the same with {@code #parseJson} and {@code #loadCheckpoint}. Without the two
 * {@code jazzer.internal.arg} settings a run lasts {@link FuzzTest#maxDuration()} (5 minutes).
 * Jazzer keeps what it learned in {@code charlm-core/.cifuzz-corpus/} (ignored by git) and writes
 * each failing input into the target's folder under the corpus above, where it stays as a
 * regression test once the bug is fixed. {@code keep_going} lets a run go on past findings it has
 * already reported. Findings in io/Checkpoint.java that are not fixed yet are kept out of the
 * committed corpus: they would fail every build until then.
 */
class CheckpointReaderFuzzTest {
    /** The allowance per input byte: the reader's own copies, the JSON tree, the model's data and gradients. */
    private static final long BYTES_PER_INPUT_BYTE = 64;
    /** And a fixed allowance for the first call's class loading and the kernels' set-up. */
    private static final long FIXED_BYTES = 16L << 20;

    private static final Workers SERIAL = Workers.serial();
    private static Path scratch;

    @FuzzTest
    void readSafetensors(byte[] input) {
        holds(input, () -> Safetensors.read(input, "checkpoint fuzz.safetensors"));
    }

    @FuzzTest
    void parseJson(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        holds(input, () -> Json.parse(text));
    }

    /** The path eval and generate take: a file on disk, read, checked and turned into a model. */
    @FuzzTest
    void loadCheckpoint(byte[] input) throws IOException {
        Path file = scratch();
        Files.write(file, input);
        holds(input, () -> Checkpoint.load(file, Kernels.get(), SERIAL));
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
                try (var in = CheckpointReaderFuzzTest.class.getResourceAsStream("/golden/" + name + ".safetensors")) {
                    Files.write(scratch, in.readAllBytes());
                }
                Checkpoint.load(scratch, Kernels.get(), SERIAL);
            }
        }
        return scratch;
    }

    /** Runs a target on an input and checks the property. */
    static void holds(byte[] input, Runnable target) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            target.run();
        } catch (CharlmException e) {
            clear(e, new String(input, StandardCharsets.ISO_8859_1));
        } catch (UncheckedIOException e) {
            throw new AssertionError("an I/O error escaped as " + e, e);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        if (allocated > FIXED_BYTES + BYTES_PER_INPUT_BYTE * input.length) {
            throw new AssertionError("allocated " + allocated + " bytes for an input of " + input.length
                    + " bytes: a size read from the input was trusted");
        }
    }

    /**
     * One line that says what is wrong, in words: short, and without Java's own words (class names,
     * "Exception") unless the input itself put them there (a tensor named "java.x" is quoted back).
     * A failure carries the refusal's own stack, so that Jazzer tells refusals made in different
     * places apart as different findings.
     */
    static void clear(CharlmException e, String input) {
        String m = e.getMessage();
        boolean ok = m != null && !m.isBlank() && m.length() <= 400 && m.indexOf('\n') < 0 && m.indexOf('\r') < 0 && e.exitCode() == 2;
        for (String javaWord : new String[] {"java.", "Exception", "cannot be cast"}) {
            if (ok && m.contains(javaWord) && !input.contains(javaWord)) ok = false;
        }
        if (!ok) {
            AssertionError unclear = new AssertionError("unclear refusal (exit " + e.exitCode() + "): " + m);
            unclear.setStackTrace(e.getStackTrace());
            throw unclear;
        }
    }
}
