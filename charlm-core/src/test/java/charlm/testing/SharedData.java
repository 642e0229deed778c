package charlm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the shared test data (The Time Machine) without committing it: the folder named by the
 * system property {@code charlm.shared} or the environment variable {@code CHARLM_SHARED}, else a
 * {@code shared/} folder beside one of the working directory's ancestors (CI clones the repository
 * next to it). When it is absent, tests fall back to a text made here, and say so on stderr.
 */
public final class SharedData {
    private static boolean warned;

    private SharedData() {
    }

    /** The shared folder (holding data/timemachine.txt), if there is one. */
    public static Optional<Path> sharedDir() {
        String prop = System.getProperty("charlm.shared");
        if (prop == null || prop.isBlank()) prop = System.getenv("CHARLM_SHARED");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            return Files.isRegularFile(p.resolve("data/timemachine.txt")) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared");
            if (Files.isRegularFile(candidate.resolve("data/timemachine.txt"))) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    public static Optional<Path> timeMachine() {
        return sharedDir().map(d -> d.resolve("data/timemachine.txt"));
    }

    /**
     * The book, for a test whose expected numbers are the book's own: skipped with the reason when it is
     * absent, except under CHARLM_REQUIRE_REFERENCE=1 (CI), where a missing book fails the test.
     */
    public static Path requireTimeMachine() {
        Optional<Path> book = timeMachine();
        if (book.isPresent()) return book.get();
        String msg = "needs shared/data/timemachine.txt (set -Dcharlm.shared=DIR or CHARLM_SHARED): the expected numbers are the book's";
        if ("1".equals(System.getenv("CHARLM_REQUIRE_REFERENCE"))) org.junit.jupiter.api.Assertions.fail(msg);
        org.junit.jupiter.api.Assumptions.assumeTrue(false, msg);
        throw new IllegalStateException("unreachable");
    }

    public static Optional<Path> tinyShakespeare() {
        return sharedDir().map(d -> d.resolve("data/tinyshakespeare.txt")).filter(Files::isRegularFile);
    }

    private static Path generatedBook;

    /**
     * The book if present, otherwise a made-up text written once per test JVM into a temporary folder
     * removed when the JVM exits: for a test class that needs the text and no folder of its own for it.
     */
    public static synchronized Path book() {
        if (timeMachine().isPresent()) return timeMachine().get();
        if (generatedBook == null) {
            try {
                Path dir = Files.createTempDirectory("charlm-book");
                generatedBook = textFile(dir);
                generatedBook.toFile().deleteOnExit();
                dir.toFile().deleteOnExit(); // after the file: deleteOnExit runs in reverse order
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return generatedBook;
    }

    /** The book if present, otherwise a made-up text written into dir. */
    public static Path textFile(Path dir) {
        Optional<Path> book = timeMachine();
        if (book.isPresent()) return book.get();
        synchronized (SharedData.class) {
            if (!warned) {
                System.err.println("charlm tests: shared/data/timemachine.txt not found (set -Dcharlm.shared=DIR or CHARLM_SHARED);"
                        + " using a generated text instead");
                warned = true;
            }
        }
        try {
            Path f = dir.resolve("generated-book.txt");
            Files.writeString(f, madeText(60_000, 1), StandardCharsets.UTF_8);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deterministic pseudo-English: words from a small list, with capitals, punctuation and line
     * breaks, about n characters. Enough structure for a model to learn something.
     */
    public static String madeText(int n, long seed) {
        String[] words = {"the", "time", "traveller", "machine", "and", "of", "a", "to", "in", "was", "he", "it", "that", "said",
                "I", "had", "we", "at", "for", "space", "dimension", "future", "little", "people", "upon", "there", "very", "my"};
        StringBuilder b = new StringBuilder(n + 32);
        long x = seed;
        int lineLength = 0;
        while (b.length() < n) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            String w = words[(int) ((x >>> 33) % words.length)];
            if (((x >>> 20) & 15) == 0) w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            b.append(w);
            lineLength += w.length();
            long r = (x >>> 40) & 31;
            if (r == 0) b.append('.');
            else if (r == 1) b.append(',');
            if (lineLength > 60) {
                b.append('\n');
                lineLength = 0;
            } else {
                b.append(' ');
                lineLength++;
            }
        }
        return b.toString();
    }
}
