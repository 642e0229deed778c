package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import charlm.run.RunDirectory;
import charlm.run.RunLock;
import charlm.sweep.SweepTables;
import charlm.sweep.SweepTrial;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep takes every training setting as a list: the grid, what is left out and why, and each trial's settings.
 * And each trial is one training run, as train's: with the same settings its folder holds the same files, the
 * same tensors bit for bit and the same metrics (all but the measured speed and times); a time-limited trial
 * that ends inside its first epoch finishes with its held-out score.
 */
class SweepCommandTest {
    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    private static String[] tiny(Path out, String... grid) {
        String[] base = {"sweep", "--data", book.toString(), "--max-tokens", "1500", "--epochs", "1", "--batch-size", "4", "--num-steps", "5",
                "--hiddens", "8", "--out", out.toString()};
        return Cli.concat(base, grid);
    }

    @Test
    void cellsDepthsActivationsAndSamplingAreAGrid() throws IOException {
        Path out = tmp.resolve("grid");
        Cli.Result r = Cli.run(tiny(out, "--cell", "rnn,gru,lstm", "--layers", "1,2", "--activation", "tanh,relu",
                "--sampling", "sequential,random")).ok();
        // rnn: 2 depths x 2 activations x 2 samplings; gru and lstm: 2 x 2 (an activation is the RNN's only)
        assertThat(r.out()).contains("sweep of 16 trials");
        List<Path> trials;
        try (Stream<Path> s = Files.list(out)) {
            trials = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(trials).hasSize(16);
        for (Path t : trials) {
            assertThat(t.resolve(SweepTrial.RESULT)).exists();
            Map<?, ?> settings = Cli.settingsOf(t);
            String name = t.getFileName().toString();
            assertThat(name).contains("cell-" + settings.get("cell")).contains("layers-" + ((Number) settings.get("layers")).intValue())
                    .contains("sampling-" + settings.get("sampling"));
            if (settings.get("cell").equals("rnn")) assertThat(name).contains("activation-" + settings.get("activation"));
            else assertThat(settings.get("activation")).isEqualTo("tanh");
        }
        assertThat(out.resolve("cell-gru_layers-2_sampling-random")).isDirectory();
        assertThat(out.resolve("cell-rnn_layers-1_activation-relu_sampling-random")).isDirectory();
        List<String> csv = Files.readAllLines(out.resolve(SweepTables.CSV));
        assertThat(csv.get(0)).startsWith("trial,cell,layers,activation,sampling,train_perplexity");
        assertThat(csv).hasSize(17);
    }

    @Test
    void combinationsThatContradictThemselvesAreLeftOutWithTheReason() throws IOException {
        Path out = tmp.resolve("contradict");
        Cli.Result r = Cli.run(tiny(out, "--sampling", "sequential,random", "--detach", "true,false")).ok();
        assertThat(r.out()).contains("sweep of 3 trials").contains("left out sampling-random_detach-false: --no-detach needs --sampling sequential");
        assertThat(out.resolve("sampling-sequential_detach-false")).isDirectory();
        assertThat(Cli.settingsOf(out.resolve("sampling-sequential_detach-false")).get("detach")).isEqualTo(false);
    }

    @Test
    void badListsAreRefused() {
        Cli.run(tiny(tmp.resolve("a"), "--lr", "0.5,,1")).refused("--lr", "empty");
        Cli.run(tiny(tmp.resolve("b"), "--lr", "0.5,abc")).refused("--lr", "abc");
        Cli.run(tiny(tmp.resolve("c"), "--cell", "rnn,rnn")).refused("--cell", "twice");
        Cli.run(tiny(tmp.resolve("d"), "--val-fraction", "0")).refused("--val-fraction");
    }

    @Test
    void aValueThatAppliesToNoTrialIsSaidSo() {
        Cli.Result r = Cli.run(tiny(tmp.resolve("e"), "--cell", "gru", "--activation", "relu")).ok();
        assertThat(r.out()).contains("sweep of 1 trials").contains("--activation relu applies to none of the trials");
    }

    /** One run's settings, typed the same for both commands; --eval-every adds held-out scores inside the epochs. */
    private static String[] oneRun() {
        return new String[] {"--data", book.toString(), "--max-tokens", "3000", "--hiddens", "16", "--epochs", "3", "--batch-size", "4",
                "--num-steps", "5", "--val-fraction", "0.1", "--eval-every", "40", "--checkpoint-every", "2", "--threads", "1", "--cell", "gru"};
    }

    @Test
    void aSweepTrialsFolderIsATrainRunsFolder() throws IOException {
        Path train = tmp.resolve("train"), sweep = tmp.resolve("sweep");
        Cli.run(Cli.concat(new String[] {"train", "--out", train.toString()}, oneRun())).ok();
        Cli.run(Cli.concat(new String[] {"sweep", "--out", sweep.toString()}, oneRun())).ok();
        Path trial = sweep.resolve("trial");

        Set<String> trainFiles = files(train), trialFiles = files(trial);
        trialFiles.remove(SweepTrial.RESULT);
        assertThat(trialFiles).isEqualTo(trainFiles);
        assertThat(trainFiles).containsExactlyInAnyOrder(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.STEPS, RunDirectory.PLOT,
                RunDirectory.MODEL, RunDirectory.BEST, RunLock.NAME);
        for (String tensors : List.of(RunDirectory.MODEL, RunDirectory.BEST)) {
            assertThat(Files.readAllBytes(trial.resolve(tensors))).as(tensors).isEqualTo(Files.readAllBytes(train.resolve(tensors)));
        }
        // metrics.csv: epoch, perplexity, tokens/s (measured), validation; steps.csv: all but eval_seconds (measured)
        assertThat(columns(trial.resolve(RunDirectory.METRICS), 0, 1, 3)).isEqualTo(columns(train.resolve(RunDirectory.METRICS), 0, 1, 3))
                .hasSize(4);
        assertThat(columns(trial.resolve(RunDirectory.STEPS), 0, 1, 2, 3, 4, 5)).isEqualTo(columns(train.resolve(RunDirectory.STEPS), 0, 1, 2, 3, 4, 5))
                .hasSizeGreaterThan(4);
        assertThat(Cli.settingsOf(trial)).isEqualTo(Cli.settingsOf(train));
        Map<?, ?> result = (Map<?, ?>) Json.parse(Files.readString(trial.resolve(SweepTrial.RESULT)));
        List<String> lastEpoch = columns(train.resolve(RunDirectory.METRICS), 1, 3).get(3);
        assertThat(String.format(java.util.Locale.ROOT, "%.6f", ((Number) result.get("val_perplexity")).doubleValue())).isEqualTo(lastEpoch.get(1));
    }

    @Test
    void aTimeLimitedTrialThatEndsInsideItsFirstEpochIsScoredWhereItStopped() throws IOException {
        // The whole book in minibatches of one sequence at H = 1024 takes far longer than the four seconds or so
        // a 6 s limit leaves after its reserve (2 s, and the final scoring's: small, with 1% held out), so the
        // trial stops inside its first epoch (at H = 256 an epoch once fitted in those seconds, once scoring
        // became batched and its reserve shrank). No --epochs: a time limit is how long it trains, as for train.
        Path sweep = tmp.resolve("limited");
        Cli.Result r = Cli.run("sweep", "--data", book.toString(), "--max-tokens", "0", "--hiddens", "1024", "--batch-size", "1",
                "--val-fraction", "0.01", "--time-limit", "6s", "--out", sweep.toString()).ok();
        Path trial = sweep.resolve("trial");
        Map<?, ?> result = (Map<?, ?>) Json.parse(Files.readString(trial.resolve(SweepTrial.RESULT)));
        assertThat(result.get("status")).isEqualTo("done");
        assertThat(trial.resolve(RunDirectory.METRICS)).as("no epoch finished, so no row of one").doesNotExist();
        List<String> steps = Files.readAllLines(trial.resolve(RunDirectory.STEPS));
        assertThat(steps).as("one score, where it stopped").hasSize(2);
        double epochs = Double.parseDouble(steps.get(1).split(",")[1]);
        assertThat(epochs).isStrictlyBetween(0.0, 1.0);
        double val = ((Number) result.get("val_perplexity")).doubleValue();
        assertThat(val).isEqualTo(Double.parseDouble(steps.get(1).split(",")[5]), org.assertj.core.data.Offset.offset(5e-6));
        assertThat(((Number) result.get("best_val_epoch")).doubleValue()).isEqualTo(epochs, org.assertj.core.data.Offset.offset(5e-5));
        assertThat((Number) result.get("train_perplexity")).isNotNull();
        assertThat(trial.resolve(RunDirectory.MODEL)).as("no --checkpoint-every").doesNotExist();
        assertThat(trial.resolve(RunDirectory.BEST)).isRegularFile();
        assertThat(((Number) Cli.settingsOf(trial).get("epochs")).intValue()).as("epochs not typed: the time limit decides").isEqualTo(1_000_000);
        assertThat(r.out()).contains("trial trial: train ").contains("sweep.csv");
        assertThat(Files.readAllLines(sweep.resolve("sweep.csv")).get(1)).endsWith(",done");
    }

    private static Set<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** The given columns of every line of a CSV file, header included. */
    private static List<List<String>> columns(Path csv, int... which) throws IOException {
        return Files.readAllLines(csv).stream().map(l -> {
            String[] f = l.split(",");
            return Arrays.stream(which).mapToObj(i -> f[i]).toList();
        }).toList();
    }
}
