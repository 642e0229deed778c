package charlm.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch reference (shared/reference/pytorch_rnn.py with /usr/bin/python3) as a live
 * oracle. Where it cannot run, tests skip with the reason, unless CHARLM_REQUIRE_REFERENCE=1
 * (set by CI), where they fail.
 */
public final class Reference {
    private static final String PYTHON = System.getenv().getOrDefault("CHARLM_PYTHON", "/usr/bin/python3");
    private static Optional<String> unavailable;

    private Reference() {
    }

    /** Skips (or in CI fails) the calling test when the reference cannot run here. */
    public static void require() {
        Optional<String> why = whyUnavailable();
        if (why.isEmpty()) return;
        String msg = "the PyTorch reference cannot run: " + why.get()
                + " (apt-get install -y python3-torch libopenblas0-pthread; shared/ beside the repository)";
        if ("1".equals(System.getenv("CHARLM_REQUIRE_REFERENCE"))) fail(msg);
        assumeTrue(false, msg);
    }

    private static synchronized Optional<String> whyUnavailable() {
        if (unavailable == null) {
            Optional<Path> script = SharedData.sharedDir().map(d -> d.resolve("reference/pytorch_rnn.py")).filter(Files::isRegularFile);
            if (script.isEmpty()) {
                unavailable = Optional.of("shared/reference/pytorch_rnn.py not found");
            } else {
                try {
                    Result r = exec(List.of(PYTHON, "-c", "import torch"));
                    unavailable = r.code == 0 ? Optional.empty() : Optional.of(PYTHON + " has no torch");
                } catch (IOException e) {
                    unavailable = Optional.of(PYTHON + " does not run: " + e.getMessage());
                }
            }
        }
        return unavailable;
    }

    public record Result(int code, String out, String err) {
        public String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    /** Runs the reference with the given arguments; fails the test if it exits non-zero. */
    public static Result run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PYTHON);
        cmd.add(SharedData.sharedDir().orElseThrow().resolve("reference/pytorch_rnn.py").toString());
        cmd.addAll(List.of(args));
        Result r = exec(cmd);
        if (r.code != 0) fail("reference " + String.join(" ", args) + " exited " + r.code + ": " + r.err);
        return r;
    }

    /** Runs a Python script of this repository (its path from the repository's root) with the reference's Python; fails the test if it exits non-zero. */
    public static Result script(String path, String... args) throws IOException {
        Path file = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null && file == null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(path))) file = dir.resolve(path);
        }
        if (file == null) fail(path + " not found above " + Path.of("").toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(PYTHON, file.toString()));
        cmd.addAll(List.of(args));
        Result r = exec(cmd);
        if (r.code != 0) fail(path + " " + String.join(" ", args) + " exited " + r.code + ": " + r.err);
        return r;
    }

    private static Result exec(List<String> cmd) throws IOException {
        Path out = Files.createTempFile("charlm-ref", ".out"), err = Files.createTempFile("charlm-ref", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
