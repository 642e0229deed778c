package charlm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository's ./charlm launcher run as a user runs it, for the integration tests (*IT, failsafe) of
 * the modules whose jar it starts. It never builds: CHARLM_NO_BUILD makes a stale jar an error, since the
 * jar under test is the one `mvn package` just made. Leaves out anything about what the commands print.
 */
public final class Launcher {
    private Launcher() {
    }

    /** The test's own JVM and every JDK 17 or newer under /usr/lib/jvm, each once (several names link to one JDK). */
    public static Stream<Path> jdks() throws IOException {
        Set<Path> found = new LinkedHashSet<>();
        found.add(Path.of(ProcessHandle.current().info().command().orElseThrow()).toRealPath());
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                for (Path home : s.sorted().toList()) {
                    Path java = home.resolve("bin/java");
                    if (Files.isExecutable(java) && major(home) >= 17) found.add(java.toRealPath());
                }
            }
        }
        return found.stream();
    }

    /** A JDK's major version from its release file (JAVA_VERSION="17.0.15"), or 0. */
    private static int major(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) return 0;
        Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Starts ./charlm with these arguments on this JDK; the caller reads its streams. */
    public static Process start(Path java, String... args) throws IOException {
        return builder(java, args).start();
    }

    /** ./charlm (system property charlm.launcher, set by the pom) with these arguments on this JDK, to start. */
    public static ProcessBuilder builder(Path java, String... args) {
        Path launcher = Path.of(System.getProperty("charlm.launcher", "../charlm")).toAbsolutePath().normalize();
        assertThat(launcher).as("the launcher (system property charlm.launcher)").isExecutable();
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CHARLM_JAVA", java.toString());
        pb.environment().put("CHARLM_NO_BUILD", "1");
        pb.environment().remove("JAVA_OPTS");
        return pb;
    }

    /** A stream read to its end on another thread: for stderr the end comes once the launcher's filter has passed on its last line. */
    public static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** ./charlm with these arguments, to its successful end; returns its stdout. */
    public static String run(Path java, String... args) throws Exception {
        Process p = start(java, args);
        CompletableFuture<String> out = drain(p.getInputStream()), err = drain(p.getErrorStream());
        try {
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("./charlm %s finished", String.join(" ", args)).isTrue();
        } finally {
            forceStop(p);
        }
        assertThat(p.exitValue()).as("./charlm %s; stdout:%n%s%nstderr:%n%s", String.join(" ", args), out.get(), err.get()).isZero();
        return out.get();
    }

    /** Sends a signal (TERM, INT, ...) to the process, as `kill` in a shell does. */
    public static void signal(String name, Process p) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start().waitFor()).isZero();
    }

    /** After a failed check: nothing a test started outlives it (the JVM and the launcher's stderr filter). */
    public static void forceStop(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
}
