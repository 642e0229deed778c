package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.run.RunDirectory;
import charlm.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval and generate on text as people have it: a byte-order mark, Windows line ends, invalid
 * bytes, characters the model never saw, a prefix typed with capitals and punctuation, and more
 * output than memory holds. One letters model and one chars model, trained once, tiny.
 */
class TextInputTest {
    @TempDir
    static Path shared;
    static Path book;
    static String lettersModel, charsModel;
    static String text; // the first part of the book, LF line ends

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainOnce() throws IOException {
        book = SharedData.textFile(shared);
        String all = Files.readString(book);
        text = all.substring(0, Math.min(all.length(), 20_000)).replace("\r\n", "\n");
        Path small = Files.writeString(shared.resolve("small.txt"), text);
        Cli.run(Cli.tinyWith("train", "--data", small.toString(), "--out", shared.resolve("letters").toString())).ok();
        Cli.run(Cli.tinyWith("train", "--tokenizer", "chars", "--data", small.toString(), "--out", shared.resolve("chars").toString())).ok();
        lettersModel = shared.resolve("letters").resolve(RunDirectory.MODEL).toString();
        charsModel = shared.resolve("chars").resolve(RunDirectory.MODEL).toString();
    }

    private Cli.Result eval(String model, Path data) {
        return Cli.run("eval", "--model", model, "--data", data.toString(), "--max-tokens", "3000");
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    private Path write(String name, String s) throws IOException {
        return write(name, s.getBytes(StandardCharsets.UTF_8));
    }

    // ---- eval ------------------------------------------------------------------------------

    @Test
    void aByteOrderMarkAndWindowsLineEndsChangeNothing() throws IOException {
        for (String model : new String[] {lettersModel, charsModel}) {
            Cli.Result plain = eval(model, write("plain.txt", text)).ok();
            ByteArrayOutputStream marked = new ByteArrayOutputStream();
            marked.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            marked.writeBytes(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
            Cli.Result windows = eval(model, write("windows-bom.txt", marked.toByteArray())).ok();
            assertThat(windows.outLines()).as("%s", model).isEqualTo(plain.outLines());
            assertThat(plain.outLines()).hasSize(3);
            assertThat(plain.outLines().get(0)).isEqualTo("scored all 2999 predictions, 2 contiguous pieces at once");
            assertThat(plain.outLines().get(1)).isEqualTo("tokens 3000, all in the model's vocabulary");
            assertThat(plain.lastLine()).matches("perplexity \\d+\\.\\d{6}");
        }
    }

    @Test
    void anInvalidByteIsRefusedWithItsOffsetInTheFile() throws IOException {
        byte[] good = text.substring(0, 1000).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(good);
        b.write(0xE9); // Latin-1 é
        b.writeBytes("t\n".getBytes(StandardCharsets.UTF_8));
        Path data = write("latin1.txt", b.toByteArray());
        eval(lettersModel, data).refused("latin1.txt", "not UTF-8", "byte 0xE9 at offset " + good.length + " ", "iconv");
    }

    @Test
    void aTextOfCharactersTheModelNeverSawIsRefused() throws IOException {
        Path greek = write("greek.txt", "\u0391\u03c1\u03c7\u03ae\u03bb\u03cc\u03b3\u03bf\u03bf"); // no space, no newline: the model knows those
        eval(charsModel, greek).refused("greek.txt", "none of its 9 tokens is in the model's vocabulary",
                "never seen \"\u03bf\" 2, \"\u0391\" 1", "and 3 others");
    }

    @Test
    void unknownCharactersAreCountedOnTheLineBeforeThePerplexity() throws IOException {
        String mixed = text.substring(0, 2000) + "\u03a9\u03a9\u03a9 \u00e6" + text.substring(2000, 3000);
        Cli.Result r = eval(charsModel, write("mixed.txt", mixed)).ok();
        List<String> lines = r.outLines();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo("tokens 3000, unknown 4 (0.13%), scored as <unk>: \"\u03a9\" 3, \"\u00e6\" 1");
        assertThat(r.lastLine()).matches("perplexity \\d+\\.\\d{6}");
    }

    // ---- generate --------------------------------------------------------------------------

    @Test
    void aPrefixIsReadAsTheModelsTrainingTextWas() {
        String typed = Cli.run("generate", "--model", lettersModel, "--prefix", "Time, Traveller!", "--num-preds", "20").ok().lastLine();
        String clean = Cli.run("generate", "--model", lettersModel, "--prefix", "time traveller", "--num-preds", "20").ok().lastLine();
        assertThat(typed).isEqualTo(clean).startsWith("time traveller").doesNotContain("<unk>");
    }

    @Test
    void aPrefixWithoutLettersIsRefusedForALettersModel() {
        Cli.run("generate", "--model", lettersModel, "--prefix", "1898!").refused("--prefix", "\"1898!\"", "no letters");
    }

    @Test
    void charactersACharsModelNeverSawAreRefusedAndListed() {
        Cli.run("generate", "--model", charsModel, "--prefix", "The \u03a9mega\nman\u00e6").refused("--prefix", "never seen", "\"\u03a9\", \"\u00e6\"");
        // and line ends are read as in the training text: \r\n is \n, which the model knows
        String line = Cli.run("generate", "--model", charsModel, "--prefix", "The\r\nTime", "--num-preds", "5").ok().out();
        assertThat(line).startsWith("The\nTime").doesNotContain("\r");
    }

    @Test
    void theHelpSaysWhatHappensToAPrefix() {
        String help = Cli.run("generate", "--help").ok().out();
        assertThat(help).contains("cleaned as the model's training text").contains("never seen is refused").contains("<unk>")
                .contains("constant memory");
    }

    @Test
    void twoBillionCharactersStreamUntilTheReaderStops() {
        // The old generate allocated for all of them first and died with an OutOfMemoryError. Now the
        // text streams out; a reader that goes away after 100,000 characters (| head) ends the run.
        ClosingWriter sink = new ClosingWriter(100_000);
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter out = new PrintWriter(sink); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(new String[] {"generate", "--model", lettersModel, "--num-preds", "2000000000"}, out, e);
        }
        assertThat(code).as("stderr: %s", err).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(sink.start.toString()).startsWith("time traveller").hasSize(100_000);
        assertThat(sink.refused).as("characters offered after the reader went").isLessThanOrEqualTo(8192);
    }

    /** Takes the first n characters, then fails like a closed pipe. */
    static final class ClosingWriter extends Writer {
        final StringBuilder start = new StringBuilder();
        final int n;
        long refused;

        ClosingWriter(int n) {
            this.n = n;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            int take = Math.min(len, n - start.length());
            start.append(cbuf, off, take);
            if (take < len) {
                refused += len - take;
                throw new IOException("Broken pipe");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
