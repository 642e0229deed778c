package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Corpus;
import charlm.io.Checkpoint;
import charlm.io.Safetensors;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.RunDirectory;
import charlm.testing.SharedData;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** steps.csv, best.safetensors, --max-steps and --time-limit on the command line, and Ctrl-C in a child process. */
class TrainingRecipesCliTest {
    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    /** command with --preset, then more options, on a slice of the book small enough for a test: one epoch of short minibatches. */
    private static String[] withPreset(String command, String preset, String... more) {
        return Cli.concat(new String[] {command, "--preset", preset, "--data", book.toString(), "--max-tokens", "3000", "--epochs", "1",
                "--batch-size", "8", "--num-steps", "10", "--eval-every", "0"}, more);
    }

    private static String[] recipe(Path out, String... more) {
        return Cli.concat(new String[] {"train", "--data", book.toString(), "--max-tokens", "3000", "--val-fraction", "0.1", "--hiddens", "24",
                "--batch-size", "8", "--num-steps", "10", "--optimizer", "adam", "--lr", "0.01", "--lr-schedule", "cosine", "--warmup-steps", "3",
                "--out", out.toString()}, more);
    }

    @Test
    void evalEveryWritesStepsCsvAndKeepsTheBestModel() throws Exception {
        Path out = tmp.resolve("run");
        Cli.Result r = Cli.run(recipe(out, "--epochs", "3", "--eval-every", "4")).ok();
        assertThat(r.out()).contains("held-out perplexity").contains("best so far").contains("nats/char");
        List<String> steps = Files.readAllLines(out.resolve(RunDirectory.STEPS));
        assertThat(steps.get(0)).isEqualTo("step,epoch,tokens,train_loss,lr,val_perplexity,eval_seconds,val_scored");
        assertThat(steps.get(1)).endsWith(",299"); // the 300 held-out tokens' predictions, all of them
        assertThat(steps.size()).isGreaterThan(4);
        double best = Double.POSITIVE_INFINITY;
        for (String row : steps.subList(1, steps.size())) best = Math.min(best, Double.parseDouble(row.split(",")[5]));
        try (Workers w = Workers.serial()) {
            Checkpoint.Loaded b = Checkpoint.load(out.resolve(RunDirectory.BEST), Kernels.get(), w);
            assertThat(b.training()).as("best.safetensors is a model to use").isNull();
            int[] all = Corpus.load(book, b.tokenizer(), 3000).tokens();
            int[] held = Arrays.copyOfRange(all, all.length - 300, all.length);
            assertThat(String.format(Locale.ROOT, "%.6f", Evaluator.perplexity(b.model(), held))).isEqualTo(String.format(Locale.ROOT, "%.6f", best));
        }
        byte[] png = Files.readAllBytes(out.resolve(RunDirectory.PLOT));
        assertThat(png.length).isGreaterThan(1000);
    }

    /** --preset text sets its recipe, options beside it win, and config.json records what it resolved to. */
    @Test
    void aPresetIsARecipeThatExplicitOptionsOverride() throws Exception {
        Path out = tmp.resolve("preset");
        Cli.run(withPreset("train", "text", "--hiddens", "24", "--out", out.toString())).ok();
        var config = (java.util.Map<?, ?>) charlm.io.Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        var settings = Cli.settingsOf(out);
        assertThat(config.get("preset")).isEqualTo("text");
        assertThat(settings.get("cell")).isEqualTo("gru");
        assertThat(settings.get("optimizer")).isEqualTo("adam");
        assertThat(settings.get("tokenizer")).isEqualTo("chars");
        assertThat(settings.get("lr_schedule")).isEqualTo("cosine");
        assertThat(((Number) settings.get("hiddens")).intValue()).as("given beside the preset").isEqualTo(24);
        assertThat(((Number) settings.get("max_tokens")).intValue()).isEqualTo(3000);
        try (Workers w = Workers.serial()) {
            var loaded = Checkpoint.load(out.resolve(RunDirectory.MODEL), Kernels.get(), w);
            assertThat(loaded.model().config.cell().name()).isEqualTo("gru");
            assertThat(loaded.tokenizer()).isEqualTo(charlm.data.Tokenizer.CHARS);
        }
        Cli.run("train", "--preset", "fancy", "--data", book.toString(), "--out", tmp.resolve("x").toString()).refused("--preset", "book", "text");
        Cli.run("train", "--resume", out.toString(), "--preset", "book").refused("--preset", "cannot be changed");
        String bench = Cli.run(withPreset("bench", "text", "--hiddens", "16")).ok().lastLine();
        assertThat(bench).startsWith("bench:").contains("hiddens 16");
        // the preset's forget bias is an LSTM's: with its GRU it is dropped, not refused; typed, it is refused; with --cell lstm it is used
        Path lstm = tmp.resolve("preset-lstm");
        Cli.run(withPreset("train", "text", "--cell", "lstm", "--hiddens", "16", "--out", lstm.toString())).ok();
        var lstmSettings = Cli.settingsOf(lstm);
        assertThat(((Number) lstmSettings.get("forget_bias")).doubleValue()).isEqualTo(1.0);
        assertThat(((Number) settings.get("forget_bias")).doubleValue()).as("dropped for the GRU").isEqualTo(0.0);
        Cli.run("bench", "--preset", "text", "--forget-bias", "1", "--data", book.toString()).refused("--forget-bias");
    }

    /** --preset text-lstm is text's recipe with an LSTM whose forget bias is 1; options beside it still win. */
    @Test
    void theLongerRunPresetIsTheTextRecipeWithAnLstm() throws Exception {
        Path out = tmp.resolve("preset-text-lstm");
        Cli.run(withPreset("train", "text-lstm", "--hiddens", "16", "--out", out.toString())).ok();
        var config = (java.util.Map<?, ?>) charlm.io.Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        var settings = Cli.settingsOf(out);
        assertThat(config.get("preset")).isEqualTo("text-lstm");
        assertThat(settings.get("cell")).isEqualTo("lstm");
        assertThat(((Number) settings.get("forget_bias")).doubleValue()).isEqualTo(1.0);
        assertThat(settings.get("optimizer")).isEqualTo("adam");
        assertThat(settings.get("input")).isEqualTo("embedding");
        assertThat(((Number) settings.get("dropout")).doubleValue()).isEqualTo(0.2);
        assertThat(((Number) settings.get("hiddens")).intValue()).as("given beside the preset").isEqualTo(16);
        try (Workers w = Workers.serial()) {
            assertThat(Checkpoint.load(out.resolve(RunDirectory.MODEL), Kernels.get(), w).model().config.cell().name()).isEqualTo("lstm");
        }
        Cli.run("train", "--preset", "fancy", "--data", book.toString(), "--out", tmp.resolve("y").toString()).refused("text-lstm");
    }

    /** --preset big is text-lstm's recipe for a long text: random windows, 1% held out, a sampled score every 1000 steps, checkpoints every 10 minutes. */
    @Test
    void theBigTextPresetIsTheTextLstmRecipeCountedInStepsAndTime() throws Exception {
        Path out = tmp.resolve("preset-big");
        Cli.run(withPreset("train", "big", "--hiddens", "16", "--val-fraction", "0.1", "--out", out.toString())).ok();
        var settings = Cli.settingsOf(out);
        assertThat(settings.get("cell")).isEqualTo("lstm");
        assertThat(((Number) settings.get("forget_bias")).doubleValue()).isEqualTo(1.0);
        assertThat(((Number) settings.get("dropout")).doubleValue()).isEqualTo(0.2);
        assertThat(((Number) settings.get("eval_tokens")).longValue()).isEqualTo(1_000_000L);
        assertThat(settings.get("checkpoint_every")).isEqualTo("10m");
        assertThat(settings.get("sampling")).as("windows from anywhere in a text no run finishes").isEqualTo("random");
        assertThat(((Number) settings.get("val_fraction")).doubleValue()).as("given beside the preset").isEqualTo(0.1);
        var preset = charlm.train.Presets.get("big").values();
        assertThat(preset.get(charlm.train.TrainingSettings.VAL_FRACTION)).isEqualTo(0.01);
    }

    @Test
    void maxStepsStopsInsideAnEpochAndTheRunResumesFromThere() throws Exception {
        Path out = tmp.resolve("steps");
        Cli.Result r = Cli.run(recipe(out, "--epochs", "4", "--max-steps", "7")).ok();
        assertThat(r.out()).contains("stopped at --max-steps, step 7");
        var meta = Safetensors.read(out.resolve(RunDirectory.MODEL)).metadata();
        assertThat(meta).containsEntry("step", "7");
        assertThat(Integer.parseInt(meta.get("batch_in_epoch"))).isPositive();
        Cli.run("train", "--resume", out.toString(), "--max-steps", "0").ok();
        assertThat(Safetensors.read(out.resolve(RunDirectory.MODEL)).metadata()).containsEntry("epoch", "4");
    }

    @Test
    void aTimeLimitEndsWithAnEvaluationAndACheckpoint() throws Exception {
        Path out = tmp.resolve("timed");
        // no --epochs: the time limit, not the default's 500 epochs, is what ends the run
        Cli.Result r = Cli.run(recipe(out, "--time-limit", "6s")).ok();
        assertThat(r.out()).contains("stopped at --time-limit").contains("validation perplexity");
        assertThat(out.resolve(RunDirectory.MODEL)).exists();
        assertThat(out.resolve(RunDirectory.BEST)).exists();
        var settings = Cli.settingsOf(out);
        assertThat(((Number) settings.get("epochs")).intValue()).isEqualTo(charlm.train.TrainingSettings.EPOCHS_UNDER_A_TIME_LIMIT);
        // typed epochs still count: the run ends with them, before the limit
        Path typed = tmp.resolve("timed-typed");
        assertThat(Cli.run(recipe(typed, "--epochs", "2", "--time-limit", "1h")).ok().out()).doesNotContain("stopped at --time-limit");
        assertThat(Safetensors.read(typed.resolve(RunDirectory.MODEL)).metadata()).containsEntry("epoch", "2");
        Cli.run("train", "--resume", tmp.resolve("nothing").toString()).refused("model.safetensors");
    }

    /**
     * A time-limited run with workers decays its cosine with the time, as a one-process run does: steps.csv's rate
     * is the workers' own (at each round's last step), and with no --epochs typed the steps' horizon is far off, so
     * only the time can bring it down. Asserts that it falls, never how long anything took.
     */
    @Test
    void aTimeLimitedRunsWorkersDecayTheirRateWithTheTime() throws Exception {
        Path out = tmp.resolve("timed-workers");
        Cli.run(recipe(out, "--time-limit", "8s", "--workers", "2", "--sync-every", "5", "--eval-every", "10")).ok();
        List<String> rows = Files.readAllLines(out.resolve(RunDirectory.STEPS));
        assertThat(rows.get(0).split(",")[4]).isEqualTo("lr");
        // the rows scored inside the run; the last may be the final scoring, at the driver's rate for a next step
        List<Double> rates = rows.subList(1, rows.size() - 1).stream().map(r -> Double.parseDouble(r.split(",")[4])).toList();
        assertThat(rates).as("steps.csv:\n%s", String.join("\n", rows)).hasSizeGreaterThan(2);
        double peak = 0.01;
        // Without the time the workers' rate would stay within 1e-4 of the peak: the steps' horizon is a million epochs.
        assertThat(rates.get(rates.size() - 1)).as("the rate of the last round scored").isLessThan(0.5 * peak);
    }

    /**
     * Ctrl-C in the middle of training: the child writes a checkpoint where it stopped and exits 130;
     * resumed, the run ends exactly where an uninterrupted one does.
     */
    @Test
    void ctrlCWritesAResumableCheckpointAndExits130() throws Exception {
        Path whole = tmp.resolve("whole"), cut = tmp.resolve("cut");
        String[] longer = {"--epochs", "12", "--eval-every", "5", "--hiddens", "96"};
        Cli.run(Cli.concat(recipe(whole, "--hiddens", "96"), "--epochs", "12", "--eval-every", "5")).ok();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "charlm.cli.Main"));
        cmd.addAll(Arrays.asList(recipe(cut, longer)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.isRegularFile(cut.resolve(RunDirectory.STEPS)) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(p.isAlive()).as("still training after its first held-out score; see child.log").isTrue();
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(tmp.resolve("child.log"));
        assertThat(p.exitValue()).as(log).isEqualTo(130);
        assertThat(log).contains("interrupted; wrote a checkpoint").contains("--resume");
        Cli.run("train", "--resume", cut.toString()).ok();
        Safetensors.Contents a = Safetensors.read(whole.resolve(RunDirectory.MODEL)), b = Safetensors.read(cut.resolve(RunDirectory.MODEL));
        for (String name : a.tensors().keySet()) {
            assertThat(Arrays.equals(b.tensors().get(name).values(), a.tensors().get(name).values())).as(name).isTrue();
        }
        assertThat(Files.readAllLines(cut.resolve(RunDirectory.METRICS)).stream().map(l -> l.split(",")[1]).toList())
                .isEqualTo(Files.readAllLines(whole.resolve(RunDirectory.METRICS)).stream().map(l -> l.split(",")[1]).toList());
        assertThat(TrainingSettings.EPOCHS.parse("12")).isEqualTo(12);
    }
}
