package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.RunDirectory;
import charlm.sweep.SweepTables;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a run meets for real: a second writer in the same folder, and a disk that fills up. Nothing
 * already written may be lost in either.
 */
class FaultsTest {
    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    private static List<String> child(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "charlm.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** While one process trains in a folder, a second --resume or --force there is refused; once it is killed, the folder is free. */
    @Test
    void oneWriterPerRunFolderAndAKilledWriterLeavesNoStuckLock() throws Exception {
        Path run = tmp.resolve("run");
        Process p = new ProcessBuilder(child("train", "--data", book.toString(), "--hiddens", "64", "--batch-size", "4", "--num-steps", "5",
                "--max-tokens", "2000", "--epochs", "100000", "--checkpoint-every", "1", "--out", run.toString()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isRegularFile(run.resolve(RunDirectory.MODEL)) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(p.isAlive()).as(Files.readString(tmp.resolve("child.log"))).isTrue();
            Cli.run("train", "--resume", run.toString(), "--epochs", "200000").refused("another charlm", "pid " + p.pid(), run.toString());
            Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", run.toString(), "--force")).refused("another charlm");
        } finally {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        int done;
        try (Workers w = Workers.serial()) {
            done = Checkpoint.load(run.resolve(RunDirectory.MODEL), Kernels.get(), w).training().epochsDone();
        }
        Cli.run("train", "--resume", run.toString(), "--epochs", Integer.toString(done + 1)).ok();
    }

    /**
     * A disk that fills up while a run writes its checkpoints, its best model and its metrics, and while a
     * sweep writes its tables: the command stops with one line (exit 2) and every file written before is
     * whole and loads. The disk is a real 1 MB tmpfs where this machine lets the test mount one;
     * elsewhere a child process under a file-size limit (ulimit -f) stands in for it.
     */
    @Test
    void aFullDiskStopsTheRunAndLosesNothing() throws Exception {
        Path disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        // CHARLM_FULL_DISK=ulimit tries the stand-in on a machine that could mount.
        boolean mounted = !"ulimit".equals(System.getenv("CHARLM_FULL_DISK"))
                && run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.toString()) == 0;
        System.out.println("full disk: " + (mounted ? "a 1 MB tmpfs" : "a child process under ulimit -f (no tmpfs mounted)"));
        try {
            Path out = disk.resolve("run");
            String[] first = {"train", "--data", book.toString(), "--hiddens", "96", "--batch-size", "4", "--num-steps", "5",
                    "--max-tokens", "2000", "--val-fraction", "0.1", "--epochs", "2", "--checkpoint-every", "1", "--out", out.toString()};
            Cli.run(first).ok();
            Map<String, byte[]> before = Cli.snapshot(out);
            long checkpoint = Files.size(out.resolve(RunDirectory.MODEL));
            Cli.Result r;
            if (mounted) {
                // Fill the disk to well under one checkpoint's size: the small files still fit, the next checkpoint does not.
                fill(disk, checkpoint / 3);
                r = Cli.run("train", "--resume", out.toString(), "--epochs", "6");
            } else {
                List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -f " + Math.max(1, checkpoint / 1024 - 2) + "; exec \"$0\" \"$@\""));
                cmd.addAll(child("train", "--resume", out.toString(), "--epochs", "6"));
                Process c = new ProcessBuilder(cmd).redirectErrorStream(false).start();
                String err = new String(c.getErrorStream().readAllBytes());
                c.waitFor(120, TimeUnit.SECONDS);
                r = new Cli.Result(c.exitValue(), "", err.lines().filter(l -> !l.startsWith("WARNING: Using incubator")).reduce("", (a, b) -> a + b + "\n"));
            }
            r.refused("cannot write", "intact", "--resume");
            // Every file of the first run is still there, and the checkpoints and metrics load as they were written or newer and whole.
            for (String name : before.keySet()) assertThat(out.resolve(name)).as(name).exists();
            assertThat(Files.readAllBytes(out.resolve(RunDirectory.MODEL))).as("the last good checkpoint").isEqualTo(before.get(RunDirectory.MODEL));
            try (Workers w = Workers.serial()) {
                Checkpoint.load(out.resolve(RunDirectory.MODEL), Kernels.get(), w);
                Checkpoint.load(out.resolve(RunDirectory.BEST), Kernels.get(), w);
            }
            assertThat(Files.readAllLines(out.resolve(RunDirectory.METRICS)).get(0)).startsWith("epoch,");
            try (var s = Files.list(out)) {
                assertThat(s.map(x -> x.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
            }
            if (mounted) {
                // A sweep whose tables no longer fit: its earlier sweep.csv is kept whole.
                Files.deleteIfExists(disk.resolve("filler"));
                Path sweep = disk.resolve("sweep");
                String[] args = {"sweep", "--data", book.toString(), "--max-tokens", "1500", "--epochs", "1", "--batch-size", "4", "--num-steps", "5",
                        "--hiddens", "8,12", "--out", sweep.toString()};
                Cli.run(args).ok();
                byte[] csv = Files.readAllBytes(sweep.resolve(SweepTables.CSV));
                fill(disk, 0);
                Cli.run(args).refused("cannot read or write the sweep", "finished trials are kept");
                assertThat(Files.readAllBytes(sweep.resolve(SweepTables.CSV))).isEqualTo(csv);
            }
        } finally {
            if (mounted) run("umount", disk.toString());
        }
    }

    /** Fills the file system holding dir until at most `leave` bytes are free. */
    private static void fill(Path dir, long leave) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        byte[] block = new byte[4096];
        try (var out = Files.newOutputStream(dir.resolve("filler"))) {
            for (long left = free - leave; left > 0; left -= block.length) out.write(block, 0, (int) Math.min(block.length, left));
        } catch (IOException full) {
            // full already: that is what was wanted
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
