package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.run.RunDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Runs charlm in-process with captured streams, and the checks every CLI test shares. Leaves out any subprocess. */
final class Cli {
    /** Every training run in the tests: a few milliseconds each. */
    static final String[] TINY = {"--hiddens", "16", "--epochs", "2", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "2000"};

    private Cli() {
    }

    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }

        String lastLine() {
            List<String> lines = outLines();
            assertThat(lines).as("stdout of a successful run; stderr: %s", err).isNotEmpty();
            return lines.get(lines.size() - 1);
        }

        /** Asserts success and returns this. */
        Result ok() {
            assertThat(code).as("exit code; stderr: %s", err).isZero();
            return this;
        }

        /** Bad input: exit 2, exactly one line on stderr naming what is wrong, no stack trace. */
        void refused(String... mentions) {
            assertThat(code).as("exit code; stderr: %s", err).isEqualTo(2);
            List<String> lines = err.lines().toList();
            assertThat(lines).as("stderr lines").hasSize(1);
            String line = lines.get(0);
            assertThat(line).isNotBlank().doesNotContain("Exception").doesNotContain("at charlm.");
            for (String m : mentions) assertThat(line).as("the error line").containsIgnoringCase(m);
        }
    }

    /** The resolved settings a run recorded in its config.json. */
    static Map<?, ?> settingsOf(Path run) throws IOException {
        return (Map<?, ?>) ((Map<?, ?>) charlm.io.Json.parse(Files.readString(run.resolve(RunDirectory.CONFIG)))).get("settings");
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(args, o, e);
        }
        return new Result(code, out.toString(), err.toString());
    }

    /** args followed by TINY. */
    static String[] tiny(String... args) {
        String[] all = Arrays.copyOf(args, args.length + TINY.length);
        System.arraycopy(TINY, 0, all, args.length, TINY.length);
        return all;
    }

    /**
     * command, then overrides (option/value pairs or bare flags), then every TINY setting the
     * overrides do not name; picocli refuses an option given twice.
     */
    static String[] tinyWith(String command, String... overrides) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(Arrays.asList(overrides));
        List<String> named = Arrays.asList(overrides);
        for (int i = 0; i < TINY.length; i += 2) {
            if (!named.contains(TINY[i])) {
                args.add(TINY[i]);
                args.add(TINY[i + 1]);
            }
        }
        return args.toArray(String[]::new);
    }

    static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Every regular file under dir with its bytes, to show later that nothing was touched. */
    static Map<String, byte[]> snapshot(Path dir) {
        Map<String, byte[]> m = new TreeMap<>();
        if (!Files.exists(dir)) return m;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    static void assertUnchanged(Path dir, Map<String, byte[]> before) {
        Map<String, byte[]> after = snapshot(dir);
        assertThat(after.keySet()).as("files under %s", dir).containsExactlyElementsOf(new ArrayList<>(before.keySet()));
        for (var e : before.entrySet()) assertThat(after.get(e.getKey())).as("bytes of %s", e.getKey()).isEqualTo(e.getValue());
    }
}
