package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.sweep.SweepTables;
import charlm.sweep.SweepTrial;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sweep takes every training setting as a list: the grid, what is left out and why, and each trial's settings. */
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
}
