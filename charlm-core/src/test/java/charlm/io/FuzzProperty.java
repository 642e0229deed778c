package charlm.io;

import charlm.CharlmException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * The property every fuzz target of the checkpoint reader checks, for any input bytes at all: the
 * call returns, or it ends in a CharlmException whose message is one clear line; never another
 * exception, a stack overflow or an OutOfMemoryError, and never more memory than a fixed multiple
 * of the input's size (an allocation sized by a number read from the input shows up as a failure
 * even when the heap could have held it).
 *
 * <p>The fuzz tests (SafetensorsFuzzTest, JsonFuzzTest, CheckpointLoadFuzzTest, TokenCacheHeaderFuzzTest) replay their
 * committed inputs with the other tests; in {@code mvn verify} the first two and the last then also fuzz for a
 * short budget (the fuzz-budget execution in charlm-core/pom.xml; -Dcharlm.fuzz.skipBudget=true
 * skips it). A long run is done by hand, one target per run, from the repository root, for example
 * for 30 minutes:
 * <pre>
 *   JAZZER_FUZZ=1 mvn -B test -pl charlm-core -Dtest=CheckpointLoadFuzzTest \
 *       -Djazzer.keep_going=50 -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=1800 \
 *       -Djazzer.internal.arg.2=-runs=-1
 * </pre>
 * (the {@code jazzer.internal.arg} settings, after a program name libFuzzer skips, lift the annotation's limits; {@code keep_going}
 * goes on past findings already reported). Jazzer keeps what it learned in
 * {@code charlm-core/.cifuzz-corpus/} (ignored by git) and writes each failing input into
 * {@code src/test/resources/charlm/io/<Test>Inputs/<method>/}, where it stays as a regression test
 * once fixed. The hand-made seeds beside it are written by make-fuzz-seeds.py.
 */
final class FuzzProperty {
    /** The allowance per input byte: the reader's own copies, the JSON tree, the model's data and gradients. */
    static final long BYTES_PER_INPUT_BYTE = 64;
    /**
     * And a fixed allowance for a first call's class loading: 19 MB measured when the JVM runs without the JDK's
     * class-data archive, as under the launcher's -XX:ObjectAlignmentInBytes=64 (the tests' too). A size
     * read from an input and trusted asks for far more (the inputs' sizes run to gigabytes).
     */
    static final long FIXED_BYTES = 32L << 20;
    /** The budget of the fuzzing run in mvn verify, for the targets that have one. */
    static final long VERIFY_EXECUTIONS = 50_000;

    private FuzzProperty() {
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
