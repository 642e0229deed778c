package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Checkpoint;
import charlm.io.Safetensors;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** --checkpoint-every and --resume: a resumed run is the run that never stopped, and a crash loses at most K epochs. */
class ResumeTest {
    @TempDir
    Path dir;

    private String[] run(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", SharedData.textFile(dir).toString(), "--hiddens", "24",
                "--batch-size", "4", "--num-steps", "6", "--max-tokens", "1500", "--val-fraction", "0.1", "--out", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static List<String> perplexityColumns(Path run) throws Exception {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.csv"))) {
            String[] f = line.split(",");
            rows.add(f[0] + "," + f[1] + "," + f[3]); // epoch, perplexity, val_perplexity (tokens/s differs)
        }
        return rows;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random", "no-detach", "lstm", "workers"})
    void aRunResumedHalfwayEqualsTheRunThatNeverStopped(String variant) throws Exception {
        String[] v = switch (variant) {
            case "random" -> new String[] {"--sampling", "random"};
            case "no-detach" -> new String[] {"--no-detach"};
            case "lstm" -> new String[] {"--cell", "lstm", "--layers", "2"};
            // Local SGD: the outer optimizer's velocity and each worker's Adam moments, generator (dropout) and place in its shard
            case "workers" -> new String[] {"--workers", "2", "--sync-every", "5", "--outer-optimizer", "nesterov", "--optimizer", "adam", "--lr", "0.01",
                    "--dropout", "0.1"};
            default -> new String[] {};
        };
        Path whole = dir.resolve("whole-" + variant), half = dir.resolve("half-" + variant);
        List<String> a = new ArrayList<>(List.of(run(whole, "--epochs", "6", "--checkpoint-every", "3")));
        a.addAll(List.of(v));
        Cli.run(a.toArray(String[]::new)).ok();
        List<String> b = new ArrayList<>(List.of(run(half, "--epochs", "3", "--checkpoint-every", "3")));
        b.addAll(List.of(v));
        Cli.run(b.toArray(String[]::new)).ok();
        Cli.Result resumed = Cli.run("train", "--resume", half.toString(), "--epochs", "6").ok();
        assertThat(resumed.out()).contains("resuming at epoch 3");

        assertThat(perplexityColumns(half)).hasSize(7).isEqualTo(perplexityColumns(whole));
        Safetensors.Contents x = Safetensors.read(whole.resolve("model.safetensors")), y = Safetensors.read(half.resolve("model.safetensors"));
        assertThat(y.tensors().keySet()).isEqualTo(x.tensors().keySet());
        if (variant.equals("workers")) assertThat(x.tensors()).containsKeys("opt.outer_velocity.W_hh", "w0.opt.m.W_hh", "w1.opt.v.W_hh", "w1.train.carried");
        for (String name : x.tensors().keySet()) {
            assertThat(y.tensors().get(name).values()).as(name).containsExactly(x.tensors().get(name).values());
        }
        assertThat(y.metadata().get("rng_state")).isEqualTo(x.metadata().get("rng_state"));
        assertThat(y.metadata().get("epoch")).isEqualTo("6");
    }

    @Test
    void resumingRefusesWhatCannotBeResumed() throws Exception {
        Path done = dir.resolve("done");
        Cli.run(run(done, "--epochs", "2")).ok();
        Cli.run("train", "--resume", done.toString()).refused("already trained 2 epochs", "--epochs");
        Cli.run("train", "--resume", done.toString(), "--epochs", "4", "--lr", "2").refused("--lr", "cannot be changed");
        Cli.run("train", "--resume", dir.resolve("nothing").toString()).refused("model.safetensors");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Cli.run("train", "--resume", empty.toString()).refused("model.safetensors");
        Cli.run("train", "--resume", done.toString(), "--epochs", "3", "--checkpoint-every", "-1").refused("--checkpoint-every");
    }

    /**
     * Kills a training process with SIGKILL at random moments while it writes a checkpoint every
     * epoch; whatever is left must load, and the run must resume from it.
     */
    @Test
    void killingTheProcessAtAnyMomentLeavesALoadableCheckpoint() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path data = SharedData.textFile(dir);
        Random random = new Random(42);
        Path out = dir.resolve("killed");
        int kills = 0;
        for (int attempt = 0; attempt < 12 && kills < 6; attempt++) {
            List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    "charlm.cli.Main"));
            if (Files.isRegularFile(out.resolve("model.safetensors"))) {
                cmd.addAll(List.of("train", "--resume", out.toString(), "--epochs", "400"));
            } else {
                // H = 256: a 300 KB checkpoint each epoch, so kills land inside writes too
                cmd.addAll(List.of("train", "--data", data.toString(), "--hiddens", "256", "--batch-size", "4", "--num-steps", "5",
                        "--max-tokens", "600", "--epochs", "400", "--checkpoint-every", "1", "--out", out.toString(), "--force"));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isRegularFile(out.resolve("model.safetensors")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            Thread.sleep(50 + random.nextInt(700));
            boolean wasAlive = p.isAlive();
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            if (wasAlive) kills++;
            Checkpoint.Loaded c = Checkpoint.load(out.resolve("model.safetensors"), Kernels.get(), Workers.serial());
            assertThat(Integer.parseInt(c.metadata().get("epoch"))).isPositive();
            assertThat(c.model().params.data).doesNotContain(Float.NaN);
        }
        assertThat(kills).as("processes killed while training (see child.log)").isGreaterThanOrEqualTo(3);
        int before = Integer.parseInt(Checkpoint.load(out.resolve("model.safetensors"), Kernels.get(), Workers.serial()).metadata().get("epoch"));
        Cli.run("train", "--resume", out.toString(), "--epochs", Integer.toString(before + 2)).ok();
        assertThat(Checkpoint.load(out.resolve("model.safetensors"), Kernels.get(), Workers.serial()).metadata().get("epoch"))
                .isEqualTo(Integer.toString(before + 2));
    }
}
