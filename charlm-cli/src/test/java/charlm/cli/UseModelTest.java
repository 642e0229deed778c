package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.run.RunDirectory;
import charlm.testing.SharedData;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** generate, eval and bench on a model trained once, tiny. */
class UseModelTest {
    @TempDir
    static Path shared;
    static Path book;
    static String model;

    @BeforeAll
    static void trainOnce() {
        book = SharedData.textFile(shared);
        Path out = shared.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString())).ok();
        model = out.resolve(RunDirectory.MODEL).toString();
    }

    @Test
    void greedyContinuesThePrefix() {
        String line = Cli.run("generate", "--model", model, "--prefix", "time traveller", "--num-preds", "20").ok().lastLine();
        assertThat(line).startsWith("time traveller").hasSize("time traveller".length() + 20);
        assertThat(line).matches("[a-z ]+");
        // greedy is deterministic
        assertThat(Cli.run("generate", "--model", model, "--prefix", "time traveller", "--num-preds", "20").ok().lastLine()).isEqualTo(line);
    }

    @Test
    void greedyWithDefaults() {
        String line = Cli.run("generate", "--model", model).ok().lastLine();
        assertThat(line).startsWith("time traveller").hasSize("time traveller".length() + 50);
    }

    @Test
    void zeroPredictionsIsThePrefix() {
        assertThat(Cli.run("generate", "--model", model, "--prefix", "the", "--num-preds", "0").ok().lastLine()).isEqualTo("the");
    }

    @Test
    void lettersTokenizerLowerCasesThePrefix() {
        String line = Cli.run("generate", "--model", model, "--prefix", "The Time", "--num-preds", "5").ok().lastLine();
        assertThat(line).startsWith("the time").hasSize(8 + 5);
    }

    @Test
    void samplingRepeatsWithTheSameSeed() {
        String a = sample(11), b = sample(11);
        assertThat(a).isEqualTo(b).startsWith("time traveller").hasSize(14 + 40);
        Set<String> texts = new HashSet<>();
        for (int seed = 1; seed <= 5; seed++) texts.add(sample(seed));
        assertThat(texts).as("five seeds").hasSizeGreaterThan(1);
    }

    private static String sample(long seed) {
        return Cli.run("generate", "--model", model, "--strategy", "sample", "--seed", Long.toString(seed), "--num-preds", "40")
                .ok().lastLine();
    }

    @Test
    void sampleWithTopOneIsGreedy() {
        String greedy = Cli.run("generate", "--model", model, "--num-preds", "30").ok().lastLine();
        String top1 = Cli.run("generate", "--model", model, "--num-preds", "30", "--strategy", "sample", "--top-k", "1", "--seed", "5")
                .ok().lastLine();
        assertThat(top1).isEqualTo(greedy);
    }

    @Test
    void temperatureIsOneOverAlpha() {
        String t = Cli.run("generate", "--model", model, "--strategy", "sample", "--temperature", "0.5", "--seed", "2").ok().lastLine();
        String a = Cli.run("generate", "--model", model, "--strategy", "sample", "--alpha", "2", "--seed", "2").ok().lastLine();
        assertThat(t).isEqualTo(a);
    }

    @Test
    void greedyWithAlphaIsRefused() {
        Cli.run("generate", "--model", model, "--alpha", "2").refused("--alpha");
        Cli.run("generate", "--model", model, "--strategy", "greedy", "--alpha", "2").refused("--alpha", "sample");
    }

    @Test
    void evalPrintsPerplexity() {
        Cli.Result r = Cli.run("eval", "--model", model, "--data", book.toString(), "--max-tokens", "2000").ok();
        Matcher m = Pattern.compile("perplexity (\\d+(\\.\\d+)?)").matcher(r.lastLine());
        assertThat(m.matches()).as("last line '%s'", r.lastLine()).isTrue();
        double ppl = Double.parseDouble(m.group(1));
        assertThat(ppl).isGreaterThan(1).isLessThan(28 + 1); // better than nothing, no worse than uniform over the letters tokenizer's vocabulary
    }

    @Test
    void benchPrintsTokensPerSecond() {
        Cli.Result r = Cli.run(Cli.tinyWith("bench", "--data", book.toString())).ok();
        assertThat(r.lastLine()).matches("bench: \\d+(\\.\\d+)? tokens/s.*");
        assertThat(r.outLines()).hasSize(3); // two epochs, then the summary
        assertThat(r.err()).isEmpty();
    }

    /**
     * --profile lists the pool's phases before the last line (which stays the bench line), over the
     * second half of the epochs, and the phases and what is outside them make up the training time; with a held-out
     * text its scorings are listed apart, their phases not among training's.
     */
    @Test
    void benchProfileListsWhereTheTimeWent() {
        List<String> rows = profileRows(Cli.run(Cli.tinyWith("bench", "--data", book.toString(), "--epochs", "4", "--profile")).ok());
        assertThat(rows).noneMatch(l -> l.contains("held-out scoring"));
    }

    @Test
    void benchProfileKeepsHeldOutScoringApart() {
        List<String> rows = profileRows(Cli.run(Cli.tinyWith("bench", "--data", book.toString(), "--epochs", "4", "--val-fraction", "0.2",
                "--profile")).ok());
        assertThat(rows).anyMatch(l -> l.matches("  held-out scoring +\\d+\\.\\d+ ms \\(besides the training time; 2 scorings\\)"));
    }

    /** The profile's rows after its header, checked: each phase's share, with the rest outside them, sums to 100%. */
    private static List<String> profileRows(Cli.Result r) {
        List<String> lines = r.outLines();
        assertThat(r.lastLine()).startsWith("bench: ");
        int head = lines.indexOf(lines.stream().filter(l -> l.startsWith("profile of epochs 3-4: ")).findFirst().orElseThrow());
        List<String> rows = lines.subList(head + 1, lines.size() - 1);
        Pattern row = Pattern.compile("  (.+?) +(\\d+\\.\\d+) ms +(\\d+\\.\\d)%( +\\d+ runs)?");
        double shares = 0;
        Set<String> names = new HashSet<>();
        for (String line : rows) {
            if (line.startsWith("  held-out scoring")) continue;
            Matcher m = row.matcher(line);
            assertThat(m.matches()).as("profile line '%s'", line).isTrue();
            names.add(m.group(1));
            shares += Double.parseDouble(m.group(3));
        }
        assertThat(names).contains("forward step", "backward step", "weight gradients", "logits", "optimizer update",
                "outside the pool's phases");
        assertThat(shares).isCloseTo(100, org.assertj.core.api.Assertions.within(1.0)); // rounding of each share to 0.1%
        return rows;
    }

    @Test
    void benchProfileOfTwoEpochsCoversTheSecond() {
        Cli.Result r = Cli.run(Cli.tinyWith("bench", "--data", book.toString(), "--profile")).ok();
        assertThat(r.outLines()).anyMatch(l -> l.startsWith("profile of epochs 2-2: "));
        assertThat(r.lastLine()).startsWith("bench: ");
    }
}
