package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Safetensors;
import charlm.testing.Launcher;
import charlm.testing.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ./charlm launcher as a user runs it, on the jar `mvn package` built (failsafe's integration-test
 * phase; CHARLM_NO_BUILD keeps the launcher from rebuilding), once per JDK 17+ on this machine: a signal
 * sent to the launcher's process id reaches the JVM. Leaves out the Spark path (charlm-spark is built
 * after this module: its SparkLauncherSignalsIT) and what the in-process tests already cover.
 */
class LauncherSignalsIT {
    /** serve's first line, with the port it got (--port 0). */
    private static final Pattern SERVING = Pattern.compile("^serving .* at http://127\\.0\\.0\\.1:(\\d+)/");

    private static final Path book = SharedData.book();

    @TempDir
    Path tmp;

    /**
     * Bad input through the filter: the one error line gets through whole, the JVM's warning does not, and the
     * exit code is the JVM's. stderr goes to a file read as soon as charlm has exited, as a script does: the
     * filter is no longer the shell's to wait for, so the JVM waits for it (five runs, since a filter that
     * nobody waits for loses the line only now and then: 2 runs in 100 here under load).
     */
    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theStderrFilterPassesTheLastLineAndTheExitCode(Path java) throws Exception {
        for (int i = 0; i < 5; i++) {
            Path out = tmp.resolve("out" + i + ".txt"), err = tmp.resolve("err" + i + ".txt");
            Process p = Launcher.builder(java, "eval", "--model", tmp.resolve("missing.safetensors").toString(), "--data", book.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
            } finally {
                Launcher.forceStop(p);
            }
            List<String> lines = Files.readAllLines(err);
            assertThat(p.exitValue()).as("exit code; stderr: %s", lines).isEqualTo(2);
            assertThat(lines).as("stderr, run %d", i).hasSize(1).first().asString()
                    .startsWith("charlm: ").contains("missing.safetensors").doesNotContain("WARNING");
            assertThat(out).isEmptyFile();
        }
    }

    /**
     * The launcher starts train with every object on a cache line, so the kernels' panels are on lines
     * (charlm.kernels.Alignment): its first line does not name them off lines, as it does when JAVA_OPTS sets
     * the JVM's default alignment, the speed and nothing else changing (the same weights, byte for byte).
     */
    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void trainRunsWithThePanelsOnCacheLinesUnlessJavaOptsSaysOtherwise(Path java) throws Exception {
        String[] args = {"train", "--data", book.toString(), "--cell", "lstm", "--hiddens", "64", "--epochs", "1", "--batch-size", "4",
            "--num-steps", "5", "--max-tokens", "2000"};
        Path on = tmp.resolve("on"), off = tmp.resolve("off");
        String aligned = Launcher.run(java, Cli.concat(args, "--out", on.toString()));
        assertThat(aligned).contains("vector kernels").doesNotContain("panels off cache lines");
        String unaligned = runWithJavaOpts(java, "-XX:ObjectAlignmentInBytes=8", Cli.concat(args, "--out", off.toString()));
        assertThat(unaligned).contains("vector kernels").contains("panels off cache lines");
        Safetensors.Contents a = Safetensors.read(on.resolve("model.safetensors")), b = Safetensors.read(off.resolve("model.safetensors"));
        assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
        for (String name : a.tensors().keySet()) {
            assertThat(Arrays.equals(b.tensors().get(name).values(), a.tensors().get(name).values())).as(name).isTrue();
        }
    }

    /**
     * Where the kernel hands out transparent huge pages to a process that asks (THP "madvise"), the launcher
     * asks for them for the commands that train, and for no other: what the JVM's final flags say at start,
     * against what this machine's kernel says. Under "always" or "never" it asks for nothing.
     */
    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void benchAsksForHugePagesWhereTheKernelGivesThemOnRequest(Path java) throws Exception {
        Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        String mode = Files.isReadable(thp) ? Files.readString(thp).strip() : "(no " + thp + ")";
        assertThat(hugePagesFlag(java, "bench")).as("bench, the kernel's THP: %s", mode).isEqualTo(mode.contains("[madvise]"));
        assertThat(hugePagesFlag(java, "generate")).as("generate, the kernel's THP: %s", mode).isFalse();
    }

    private static final Pattern HUGE_PAGES = Pattern.compile("\\bUseTransparentHugePages\\s+=\\s+(true|false)");

    /** UseTransparentHugePages as the JVM that ./charlm COMMAND --help starts has it (JAVA_OPTS=-XX:+PrintFlagsFinal). */
    private static boolean hugePagesFlag(Path java, String command) throws Exception {
        Matcher m = HUGE_PAGES.matcher(runWithJavaOpts(java, "-XX:+PrintFlagsFinal", command, "--help"));
        assertThat(m.find()).as("the JVM's final flags on stdout").isTrue();
        return Boolean.parseBoolean(m.group(1));
    }

    /** ./charlm ARGS with JAVA_OPTS set: its stdout, once it has exited 0 within two minutes. */
    private static String runWithJavaOpts(Path java, String javaOpts, String... args) throws Exception {
        ProcessBuilder pb = Launcher.builder(java, args);
        pb.environment().put("JAVA_OPTS", javaOpts);
        Process p = pb.start();
        CompletableFuture<String> out = Launcher.drain(p.getInputStream()), err = Launcher.drain(p.getErrorStream());
        try {
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        } finally {
            Launcher.forceStop(p);
        }
        assertThat(p.exitValue()).as(err.get()).isZero();
        return out.get();
    }

    /** SIGTERM to the launcher's process id stops serve: exit 143 (128 + 15), and the port can be bound again. */
    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sigtermStopsServeAndFreesItsPort(Path java) throws Exception {
        Path run = tmp.resolve("run");
        Launcher.run(java, "train", "--data", book.toString(), "--hiddens", "16", "--epochs", "1", "--batch-size", "4", "--num-steps", "5",
                "--max-tokens", "2000", "--out", run.toString());
        Process p = Launcher.start(java, "serve", "--run", run.toString(), "--port", "0");
        try {
            serveThenStop(java, p);
        } finally {
            Launcher.forceStop(p);
        }
    }

    private static void serveThenStop(Path java, Process p) throws Exception {
        CompletableFuture<String> err = Launcher.drain(p.getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int port = -1;
        String line;
        while (port < 0 && (line = out.readLine()) != null) {
            Matcher m = SERVING.matcher(line);
            if (m.find()) port = Integer.parseInt(m.group(1));
        }
        assertThat(port).as("the port serve printed; stderr: %s", p.isAlive() ? "(running)" : err.get()).isPositive();
        // The launcher's process is the JVM itself, not a shell waiting for it.
        assertThat(p.info().command()).hasValue(java.toString());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertThat(s.isConnected()).isTrue();
        }

        Launcher.signal("TERM", p);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("serve stopped on SIGTERM").isTrue();
        assertThat(p.exitValue()).as("exit code; stderr: %s", err.get()).isEqualTo(143);
        // The JVM has exited, so its socket is closed; allow the kernel a few seconds to let the port go.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean free = false;
        while (!free && System.nanoTime() < deadline) {
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                free = true;
            } catch (BindException taken) {
                Thread.sleep(50);
            }
        }
        assertThat(free).as("port %d free again after serve stopped", port).isTrue();
        assertThat(err.get()).doesNotContain("WARNING: Using incubator modules").doesNotContain("Exception");
    }

    /**
     * SIGTERM to a training run through the launcher does what Ctrl-C does: a checkpoint where it stopped,
     * exit 143; resumed, the run ends bit for bit where an uninterrupted one does (Adam, a cosine schedule and
     * held-out scoring, so the optimizer's moments, the schedule's position and the best score are all carried).
     */
    @ParameterizedTest
    @MethodSource("charlm.testing.Launcher#jdks")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void sigtermCheckpointsATrainingRunThatResumesBitForBit(Path java) throws Exception {
        Path whole = tmp.resolve("whole"), cut = tmp.resolve("cut");
        Launcher.run(java, recipe(whole));
        Process p = Launcher.start(java, recipe(cut));
        try {
            stopAndCheck(p, cut);
        } finally {
            Launcher.forceStop(p);
        }
        Launcher.run(java, "train", "--resume", cut.toString());
        Safetensors.Contents a = Safetensors.read(whole.resolve("model.safetensors")), b = Safetensors.read(cut.resolve("model.safetensors"));
        assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
        for (String name : a.tensors().keySet()) {
            assertThat(Arrays.equals(b.tensors().get(name).values(), a.tensors().get(name).values())).as(name).isTrue();
        }
        assertThat(perplexities(cut)).isEqualTo(perplexities(whole));
    }

    /** Waits for the run's first held-out score, sends SIGTERM, and checks how it ended. */
    private static void stopAndCheck(Process p, Path cut) throws Exception {
        CompletableFuture<String> out = Launcher.drain(p.getInputStream()), err = Launcher.drain(p.getErrorStream());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.isRegularFile(cut.resolve("steps.csv")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(p.isAlive()).as("still training after its first held-out score; stdout:%n%s", p.isAlive() ? "" : out.get()).isTrue();

        Launcher.signal("TERM", p);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("train stopped on SIGTERM").isTrue();
        assertThat(p.exitValue()).as("exit code; stdout:%n%s%nstderr:%n%s", out.get(), err.get()).isEqualTo(143);
        assertThat(out.get()).contains("interrupted; wrote a checkpoint at step").contains("--resume " + cut);
        assertThat(Integer.parseInt(Safetensors.read(cut.resolve("model.safetensors")).metadata().get("batch_in_epoch")))
                .as("the checkpoint is the signal's, written inside an epoch").isPositive();
    }

    private String[] recipe(Path out) {
        return new String[] {"train", "--data", book.toString(), "--max-tokens", "3000", "--val-fraction", "0.1", "--hiddens", "96",
                "--batch-size", "8", "--num-steps", "10", "--optimizer", "adam", "--lr", "0.01", "--lr-schedule", "cosine", "--warmup-steps", "3",
                "--epochs", "12", "--eval-every", "5", "--out", out.toString()};
    }

    /** metrics.csv's perplexity column, epoch by epoch. */
    private static List<String> perplexities(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.csv")).stream().map(l -> l.split(",")[1]).toList();
    }
}
