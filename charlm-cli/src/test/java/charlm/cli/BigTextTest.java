package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.RunDirectory;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The big-text path on a small text (--token-cache forces it): training from the mapped token cache
 * is training from the int[] bit for bit, the cache is made once, --max-vocab and --eval-tokens say
 * what they did, and every bad input of issue 21 is one line, exit 2, with nothing on disk lost.
 */
class BigTextTest {
    @TempDir
    static Path shared;
    static Path text;

    @TempDir
    Path tmp;

    @BeforeAll
    static void text() throws IOException {
        String all = Files.readString(SharedData.textFile(shared));
        text = Files.writeString(shared.resolve("text.txt"), all.substring(0, Math.min(all.length(), 40_000)));
    }

    private String[] run(Path out, String... more) {
        return Cli.concat(Cli.tinyWith("train", "--data", text.toString(), "--tokenizer", "chars", "--max-tokens", "0", "--val-fraction", "0.1",
                "--eval-every", "20", "--out", out.toString()), more);
    }

    private static List<String> column(Path csv, int... keep) throws IOException {
        return Files.readAllLines(csv).stream().map(l -> {
            String[] f = l.split(",");
            StringBuilder b = new StringBuilder();
            for (int k : keep) b.append(f[k]).append(',');
            return b.toString();
        }).toList();
    }

    @Test
    void trainingFromTheMappedCacheIsTrainingFromMemoryBitForBit() throws IOException {
        Path memory = tmp.resolve("memory"), mapped = tmp.resolve("mapped"), cache = tmp.resolve("cache");
        Cli.run(run(memory)).ok();
        Cli.Result first = Cli.run(run(mapped, "--token-cache", cache.toString())).ok();
        assertThat(first.out()).contains("tokenising " + text).contains("held-out scoring: all");
        try (var files = Files.list(cache)) {
            assertThat(files.map(p -> p.getFileName().toString())).singleElement().asString().startsWith("text.txt.chars").endsWith(".tokens");
        }
        assertThat(column(mapped.resolve(RunDirectory.METRICS), 0, 1, 3)).isEqualTo(column(memory.resolve(RunDirectory.METRICS), 0, 1, 3));
        assertThat(column(mapped.resolve(RunDirectory.STEPS), 0, 2, 3, 5, 7)).isEqualTo(column(memory.resolve(RunDirectory.STEPS), 0, 2, 3, 5, 7));
        assertThat(Files.readAllLines(mapped.resolve(RunDirectory.STEPS)).get(0)).endsWith(",val_scored");
        try (Workers w = Workers.serial()) {
            float[] a = Checkpoint.load(memory.resolve(RunDirectory.MODEL), Kernels.get(), w).model().params.data;
            float[] b = Checkpoint.load(mapped.resolve(RunDirectory.MODEL), Kernels.get(), w).model().params.data;
            assertThat(b).isEqualTo(a);
        }
        Cli.Result second = Cli.run(run(tmp.resolve("again"), "--token-cache", cache.toString())).ok();
        assertThat(second.out()).doesNotContain("tokenising");
    }

    @Test
    void maxVocabAndEvalTokensSayWhatTheyDid() throws IOException {
        Path out = tmp.resolve("cut");
        Cli.Result r = Cli.run(run(out, "--max-vocab", "20", "--eval-tokens", "1024")).ok();
        assertThat(r.out()).contains("--max-vocab 20: the").contains("rarest characters become <unk>");
        assertThat(r.out()).contains("held-out scoring: a sample of 1024 predictions");
        Map<?, ?> config = (Map<?, ?>) charlm.io.Json.parse(Files.readString(out.resolve(RunDirectory.CONFIG)));
        assertThat(((Number) config.get("vocab_size")).intValue()).isEqualTo(20);
        assertThat(String.valueOf(config.get("val_scored"))).startsWith("a sample of 1024");
        assertThat(Files.readAllLines(out.resolve(RunDirectory.STEPS)).get(1)).endsWith(",1024");

        Cli.Result e = Cli.run("eval", "--model", out.resolve(RunDirectory.MODEL).toString(), "--data", text.toString(), "--max-tokens", "0",
                "--eval-tokens", "2048").ok();
        assertThat(e.outLines().get(0)).startsWith("scored a sample of 2048 predictions");
    }

    /**
     * eval through the token cache (as a text over 32 MB is read) scores what it scores from an int[]: on the
     * model's own text (the cache's ids are the model's), with --max-vocab, and on another text whose
     * characters the model partly never saw (the cache's ids read through a table, the unknown ones counted).
     */
    @Test
    void evalThroughTheTokenCacheScoresAsFromMemory() throws IOException {
        Path cache = tmp.resolve("cache");
        Path plain = tmp.resolve("plain"), cut = tmp.resolve("cut");
        Cli.run(run(plain)).ok();
        Cli.run(run(cut, "--max-vocab", "20")).ok();
        String other = "Another text: QUITE unlike the book, with digits 0123456789 and {braces}.\n".repeat(40);
        Path otherText = Files.writeString(tmp.resolve("other.txt"), other);
        for (Path model : List.of(plain, cut)) {
            for (Path data : List.of(text, otherText)) {
                String[] eval = {"eval", "--model", model.resolve(RunDirectory.MODEL).toString(), "--data", data.toString(), "--max-tokens", "0"};
                List<String> memory = Cli.run(eval).ok().outLines();
                Cli.Result mapped = Cli.run(Cli.concat(eval, "--token-cache", cache.toString())).ok();
                List<String> lines = mapped.outLines();
                assertThat(lines.get(lines.size() - 1)).as(model + " on " + data).isEqualTo(memory.get(memory.size() - 1));
                assertThat(lines.get(lines.size() - 3)).isEqualTo(memory.get(0)); // what was scored
                String unknown = lines.get(lines.size() - 2);
                if (model == cut && data == text) {
                    // The model's own cache holds <unk> where --max-vocab cut, not which characters were cut: the count is the same.
                    assertThat(unknown).endsWith("the characters --max-vocab 20 left out of the model's vocabulary")
                            .startsWith(memory.get(1).substring(0, memory.get(1).indexOf(": ")));
                } else {
                    assertThat(unknown).isEqualTo(memory.get(1)); // tokens, and the unknown ones with their characters
                }
            }
        }
    }

    /**
     * --resume reads the text as a first run does and says the same about it: the --max-vocab line, and,
     * with the cache gone, that the text is tokenised again (into the folder the run recorded).
     */
    @Test
    void resumeSaysWhatAFirstRunSaysAboutTheCache() throws IOException {
        Path out = tmp.resolve("r"), cache = tmp.resolve("cache");
        Cli.Result first = Cli.run(run(out, "--token-cache", cache.toString(), "--max-vocab", "20", "--epochs", "1", "--checkpoint-every", "1")).ok();
        List<String> said = first.outLines().stream().filter(l -> l.startsWith("tokenising ") || l.startsWith("--max-vocab 20: ")).toList();
        assertThat(said).hasSize(2);
        try (var files = Files.list(cache)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Cli.Result again = Cli.run("train", "--resume", out.toString(), "--epochs", "2").ok();
        assertThat(again.outLines()).containsAll(said);
        try (var files = Files.list(cache)) {
            assertThat(files.count()).isEqualTo(1);
        }
    }

    /** A sweep's trials read the text as train does: through the token cache given, with the scores of a run from memory. */
    @Test
    void sweepTrialsReadTheTokenCache() throws IOException {
        Path cache = tmp.resolve("cache"), mapped = tmp.resolve("mapped"), memory = tmp.resolve("memory");
        String[] sweep = {"sweep", "--data", text.toString(), "--tokenizer", "chars", "--max-tokens", "0", "--val-fraction", "0.1", "--epochs", "1",
            "--batch-size", "4", "--num-steps", "5", "--hiddens", "8,9"};
        Cli.run(Cli.concat(sweep, "--out", memory.toString())).ok();
        Cli.run(Cli.concat(sweep, "--out", mapped.toString(), "--token-cache", cache.toString())).ok();
        try (var files = Files.list(cache)) {
            assertThat(files.map(p -> p.getFileName().toString())).singleElement().asString().startsWith("text.txt.chars").endsWith(".tokens");
        }
        for (String trial : List.of("hiddens-8", "hiddens-9")) {
            assertThat(column(mapped.resolve(trial).resolve(RunDirectory.METRICS), 0, 1, 3))
                    .isEqualTo(column(memory.resolve(trial).resolve(RunDirectory.METRICS), 0, 1, 3));
        }
    }

    @Test
    void badInputIsOneLineAndLosesNothing() throws IOException {
        Path out = tmp.resolve("run");
        Map<String, byte[]> before = Cli.snapshot(tmp);
        Cli.run(run(out, "--eval-tokens", "-1")).refused("--eval-tokens");
        Cli.run(run(out, "--eval-tokens", "many")).refused("--eval-tokens");
        Cli.run(run(out, "--max-vocab", "1")).refused("--max-vocab");
        Cli.run(Cli.tinyWith("train", "--data", text.toString(), "--eval-tokens", "5000", "--out", out.toString())).refused("--eval-tokens", "--val-fraction");
        Cli.run(run(out, "--max-vocab", "70000")).refused("--max-vocab");
        Path blocker = Files.writeString(tmp.resolve("blocker"), "keep me");
        before = Cli.snapshot(tmp);
        Cli.run(run(out, "--token-cache", blocker.resolve("cache").toString())).refused("cannot write the token cache", "--token-cache");
        Path binary = Files.write(tmp.resolve("data.bin"), new byte[] {'a', 'b', 'c', 0, 0, 0, 'd'});
        before = Cli.snapshot(tmp);
        Cli.run(Cli.tinyWith("train", "--data", binary.toString(), "--tokenizer", "chars", "--out", out.toString())).refused("binary", "NUL");
        Cli.run(Cli.tinyWith("train", "--data", binary.toString(), "--tokenizer", "chars", "--out", out.toString(), "--token-cache",
                tmp.resolve("c").toString())).refused("binary", "NUL");
        Cli.run(Cli.tinyWith("train", "--data", text.toString(), "--val-fraction", "0.00001", "--out", out.toString())).refused("--val-fraction");
        Cli.assertUnchanged(tmp, before);
        Path model = Path.of(shared.toString(), "m");
        Cli.run(Cli.tinyWith("train", "--data", text.toString(), "--out", model.toString())).ok();
        Cli.run("eval", "--model", model.resolve(RunDirectory.MODEL).toString(), "--data", text.toString(), "--eval-tokens", "x").refused("--eval-tokens");
        Cli.run("eval", "--model", model.resolve(RunDirectory.MODEL).toString(), "--data", text.toString(), "--eval-tokens", "-5").refused("--eval-tokens");
    }
}
