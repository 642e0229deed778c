package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Corpus;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.RunDirectory;
import charlm.run.RunLock;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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

    /** The samples printed after training: the book's from "time traveller" as always, a text of one's own from excerpts of itself. */
    @Test
    void theSamplesAfterTrainingStartFromTheTextsOwnWords() throws IOException {
        List<String> book = Cli.run(Cli.tinyWith("train", "--data", TrainCommandTest.book.toString(), "--out", tmp.resolve("book").toString())).ok().outLines();
        assertThat(book.get(book.size() - 3)).startsWith("time traveller");
        assertThat(book.get(book.size() - 2)).startsWith("traveller");

        StringBuilder c = new StringBuilder();
        for (int i = 0; i < 300; i++) c.append("static int f").append(i % 10).append("(void) { return ").append(i).append("; }\n");
        Path source = Files.writeString(tmp.resolve("source.c"), c);
        String own = Cli.run(Cli.tinyWith("train", "--data", source.toString(), "--tokenizer", "chars", "--out", tmp.resolve("c").toString()))
                .ok().out();
        // The samples (which hold newlines of their own) follow the last epoch's line and the summary.
        String samples = own.substring(own.lastIndexOf("\nepoch 2:"));
        assertThat(samples).contains("\nstatic int f").doesNotContain("traveller");
        // A prefix given is kept, on any text.
        String given = Cli.run(Cli.tinyWith("train", "--data", source.toString(), "--tokenizer", "chars", "--prefix", "return",
                "--out", tmp.resolve("given").toString())).ok().out();
        assertThat(given.substring(given.lastIndexOf("\nepoch 2:"))).contains("\nreturn");
    }

    @Test
    void tinyRunWritesItsFiles() throws IOException {
        Path out = tmp.resolve("run");
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--seed", "7")).ok();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("epoch 1: perplexity", "epoch 2: perplexity");
        assertThat(r.lastLine()).isEqualTo("wrote " + out);

        Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        Map<?, ?> settings = (Map<?, ?>) config.get("settings");
        assertThat(((Number) settings.get("seed")).longValue()).isEqualTo(7);
        assertThat(((Number) settings.get("batch_size")).intValue()).isEqualTo(4);
        assertThat(((Number) settings.get("num_steps")).intValue()).isEqualTo(5);
        assertThat(((Number) settings.get("hiddens")).intValue()).isEqualTo(16);
        assertThat(((Number) settings.get("epochs")).intValue()).isEqualTo(2);
        assertThat(settings.get("lr")).as("every setting is recorded, given or not").isEqualTo(1.0);
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
        // nothing else is left behind, in particular no temporary files (the lock file says who wrote here last)
        assertThat(Cli.snapshot(out).keySet())
                .containsExactlyInAnyOrder(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.PLOT, RunDirectory.MODEL, RunLock.NAME);
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

    /**
     * Each variant trains, writes a checkpoint that loads and records the variant, changes the numbers
     * (or, for --threads, keeps them exactly), and eval on the command line agrees with the library.
     */
    @ParameterizedTest
    @ValueSource(strings = {"--tokenizer chars", "--sampling random", "--sampling book-random", "--no-detach", "--activation relu",
            "--input embedding --embed-dim 8", "--clip none", "--threads 2", "--max-tokens 0 --epochs 1", "--lr 0.5", "--seed 9",
            "--batch-size 3", "--num-steps 4", "--hiddens 12",
            "--cell gru", "--cell lstm", "--cell rnn --layers 3", "--cell gru --layers 2 --input embedding --embed-dim 8",
            "--cell lstm --layers 2 --threads 2"})
    void variantsTakeEffect(String variant) throws IOException {
        Path base = tmp.resolve("base"), out = tmp.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", base.toString(), "--clip", "0.5")).ok();
        String[] extra = variant.split(" ");
        String[] clip = variant.contains("--clip") ? new String[0] : new String[] {"--clip", "0.5"}; // so that --clip none changes something
        Cli.run(Cli.tinyWith("train", Cli.concat(Cli.concat(extra, clip), "--data", book.toString(), "--out", out.toString()))).ok();
        Path model = out.resolve(RunDirectory.MODEL);
        try (Workers w = Workers.serial()) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, Kernels.get(), w);
            for (int i = 0; i < extra.length; i++) {
                if (!extra[i].startsWith("--")) continue;
                boolean flag = i + 1 == extra.length || extra[i + 1].startsWith("--");
                assertRecorded(loaded.settings(), extra[i], flag ? null : extra[i + 1]);
            }
            // The model itself has the shape the settings say.
            var c = loaded.model().config;
            assertThat(c.cell().name()).isEqualTo(loaded.settings().get(TrainingSettings.CELL));
            assertThat(c.layers()).isEqualTo(loaded.settings().get(TrainingSettings.LAYERS));
            assertThat(c.input()).isEqualTo(loaded.settings().get(TrainingSettings.INPUT));
            assertThat(c.hiddens()).isEqualTo(loaded.settings().get(TrainingSettings.HIDDENS));
            // eval on the command line is the library's Evaluator on the same tokens
            String printed = Cli.run("eval", "--model", model.toString(), "--data", book.toString(), "--max-tokens", "500").ok().lastLine();
            int[] tokens = Corpus.encode(book, loaded.tokenizer(), loaded.vocab(), 500);
            assertThat(printed).isEqualTo(String.format(Locale.ROOT, "perplexity %.6f", Evaluator.perplexity(loaded.model(), tokens)));
        }
        String line = Cli.run("generate", "--model", model.toString(), "--prefix", "the", "--num-preds", "10").ok().lastLine();
        assertThat(line).startsWith("the");
        if (variant.equals("--threads 2")) {
            assertThat(perplexities(out)).as("the thread count changes nothing").isEqualTo(perplexities(base));
        } else {
            assertThat(perplexities(out)).as("the variant changes the numbers").isNotEqualTo(perplexities(base));
        }
    }

    /** The checkpoint's settings hold what the option said. */
    private static void assertRecorded(Settings recorded, String option, String value) {
        if (option.equals("--no-detach")) {
            assertThat(recorded.get(TrainingSettings.DETACH)).isFalse();
            return;
        }
        Setting<?> s = TrainingSettings.all().stream().filter(x -> x.option().equals(option)).findFirst().orElseThrow();
        if (s == TrainingSettings.THREADS) return; // recorded, but a resumed run picks its own
        if (s == TrainingSettings.EMBED_DIM || s == TrainingSettings.HIDDENS) {
            assertThat(recorded.get(s)).as(option).isEqualTo(s.parse(value));
            return;
        }
        assertThat((Object) recorded.get(s)).as(option).isEqualTo(s.parse(value));
    }

    /** A run that diverges exits 3, names the epoch, and leaves the checkpoint already on disk as it was. */
    @Test
    void aDivergingRunExitsThreeAndKeepsTheCheckpointOnDisk() throws IOException {
        Path out = tmp.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString())).ok();
        byte[] good = Files.readAllBytes(out.resolve(RunDirectory.MODEL));
        // No clipping at an absurd rate: the second update already overflows float.
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--force", "--activation", "relu",
                "--clip", "none", "--lr", "1e30", "--epochs", "5", "--checkpoint-every", "1"));
        assertThat(r.code()).as("stderr: %s", r.err()).isEqualTo(3);
        assertThat(r.err().lines().toList()).hasSize(1);
        assertThat(r.err()).contains("diverged in epoch").contains("--clip").contains("--lr");
        assertThat(Files.readAllBytes(out.resolve(RunDirectory.MODEL))).isEqualTo(good);
    }

    /** A small sweep ranks its trials by held-out perplexity and, run again, skips what is done. */
    @Test
    void sweepRanksTrialsAndResumes() throws IOException {
        Path out = tmp.resolve("sweep");
        String[] args = {"sweep", "--data", book.toString(), "--max-tokens", "2000", "--epochs", "2", "--batch-size", "4", "--num-steps", "5",
                "--hiddens", "8,16", "--lr", "0.5,1", "--out", out.toString()};
        Cli.Result first = Cli.run(args).ok();
        assertThat(first.out()).contains("sweep of 4 trials");
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertThat(csv.get(0)).startsWith("trial,hiddens,lr,train_perplexity,val_perplexity");
        assertThat(csv).hasSize(5);
        double previous = 0;
        for (String row : csv.subList(1, csv.size())) {
            double val = Double.parseDouble(row.split(",")[4]);
            assertThat(val).isGreaterThanOrEqualTo(previous);
            previous = val;
        }
        assertThat(Files.readString(out.resolve("sweep.md"))).contains("| rank |");
        for (String trial : new String[] {"hiddens-8_lr-0.5", "hiddens-16_lr-1"}) {
            assertThat(out.resolve(trial).resolve("metrics.csv")).exists();
            assertThat(out.resolve(trial).resolve("result.json")).exists();
        }
        // An interrupted sweep: one trial's result is gone; the rerun trains only that one.
        Files.delete(out.resolve("hiddens-16_lr-1").resolve("result.json"));
        Cli.Result again = Cli.run(args).ok();
        assertThat(again.out().lines().filter(l -> l.contains("done before, skipped")).count()).isEqualTo(3);
        assertThat(again.out()).contains("trial hiddens-16_lr-1: train");
        // The same folder with another grid is refused.
        String[] other = args.clone();
        other[other.length - 3] = "0.5,2";
        Cli.run(other).refused("different sweep");
    }
}
