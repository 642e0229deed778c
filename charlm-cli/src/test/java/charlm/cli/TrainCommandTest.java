package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a tiny training run writes: config.json, metrics.csv, perplexity.png, model.safetensors; and that it repeats bit for bit. */
class TrainCommandTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    static Path shared;
    static Path book;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        book = SharedData.textFile(shared);
    }

    @Test
    void tinyRunWritesItsFiles() throws IOException {
        Path out = tmp.resolve("run");
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--seed", "7")).ok();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("epoch 1: perplexity", "epoch 2: perplexity");
        assertThat(r.lastLine()).isEqualTo("wrote " + out);

        Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        assertThat(((Number) config.get("seed")).longValue()).isEqualTo(7);
        assertThat(((Number) config.get("batch_size")).intValue()).isEqualTo(4);
        assertThat(((Number) config.get("num_steps")).intValue()).isEqualTo(5);
        assertThat(((Number) config.get("hiddens")).intValue()).isEqualTo(16);
        assertThat(((Number) config.get("epochs")).intValue()).isEqualTo(2);
        assertThat(config.get("jdk")).isEqualTo(Runtime.version().toString());
        assertThat(config.get("kernels")).isEqualTo(Kernels.get().name());

        List<String> metrics = Files.readAllLines(out.resolve(RunDirectory.METRICS));
        assertThat(metrics).hasSize(3);
        assertThat(metrics.get(0)).isEqualTo("epoch,perplexity,tokens_per_sec");
        for (int epoch = 1; epoch <= 2; epoch++) {
            String[] cells = metrics.get(epoch).split(",");
            assertThat(cells).hasSize(3);
            assertThat(Integer.parseInt(cells[0])).isEqualTo(epoch);
            assertThat(Double.parseDouble(cells[1])).isGreaterThan(1).isLessThan(((Number) config.get("vocab_size")).doubleValue() + 1);
            assertThat(Double.parseDouble(cells[2])).isPositive();
        }

        byte[] png = Files.readAllBytes(out.resolve(RunDirectory.PLOT));
        assertThat(png).startsWith(PNG_MAGIC);

        try (Workers w = Workers.serial()) {
            Checkpoint.Loaded loaded = Checkpoint.load(out.resolve(RunDirectory.MODEL), Kernels.get(), w);
            assertThat(loaded.model().config.hiddens()).isEqualTo(16);
            assertThat(loaded.vocab().size()).isEqualTo(((Number) config.get("vocab_size")).intValue());
            assertThat(loaded.metadata()).containsEntry("epoch", "2");
        }
        // nothing else is left behind, in particular no temporary files
        assertThat(Cli.snapshot(out).keySet())
                .containsExactlyInAnyOrder(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.PLOT, RunDirectory.MODEL);
    }

    @Test
    void validationFractionAddsAColumn() throws IOException {
        Path out = tmp.resolve("run");
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--val-fraction", "0.1")).ok();
        assertThat(r.out()).contains("validation perplexity");
        List<String> metrics = Files.readAllLines(out.resolve(RunDirectory.METRICS));
        assertThat(metrics.get(0)).isEqualTo("epoch,perplexity,tokens_per_sec,val_perplexity");
        assertThat(metrics).hasSize(3);
        for (String row : metrics.subList(1, 3)) assertThat(Double.parseDouble(row.split(",")[3])).isGreaterThan(1);
        Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        assertThat(((Number) config.get("val_tokens")).intValue()).isEqualTo(200);
        assertThat(((Number) config.get("train_tokens")).intValue()).isEqualTo(1800);
    }

    @Test
    void sameSeedSameModelBitForBit() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", a.toString(), "--seed", "3")).ok();
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", b.toString(), "--seed", "3")).ok();
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", c.toString(), "--seed", "4")).ok();
        assertThat(b.resolve(RunDirectory.MODEL)).hasSameBinaryContentAs(a.resolve(RunDirectory.MODEL));
        assertThat(perplexities(b)).isEqualTo(perplexities(a));
        assertThat(Files.readAllBytes(c.resolve(RunDirectory.MODEL))).isNotEqualTo(Files.readAllBytes(a.resolve(RunDirectory.MODEL)));
    }

    private static List<String> perplexities(Path run) throws IOException {
        return Files.readAllLines(run.resolve(RunDirectory.METRICS)).stream().map(l -> l.split(",")[1]).toList();
    }

    /** Each variant trains, writes a checkpoint that loads, and generate continues from it. */
    @ParameterizedTest
    @ValueSource(strings = {"--tokenizer chars", "--sampling random", "--book-random", "--no-detach", "--activation relu",
            "--input embedding --embed-dim 8", "--clip none", "--threads 2", "--max-tokens 0 --epochs 1"})
    void variantsTrainAndGenerate(String variant) {
        Path out = tmp.resolve("run");
        String[] extra = variant.split(" ");
        Cli.run(Cli.tinyWith("train", Cli.concat(extra, "--data", book.toString(), "--out", out.toString()))).ok();
        String line = Cli.run("generate", "--model", out.resolve(RunDirectory.MODEL).toString(), "--prefix", "the", "--num-preds", "10")
                .ok().lastLine();
        assertThat(line).startsWith("the");
        Cli.run("eval", "--model", out.resolve(RunDirectory.MODEL).toString(), "--data", book.toString(), "--max-tokens", "500").ok();
    }
}
