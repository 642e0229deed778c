package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Text files as they come: a byte-order mark, Windows line ends, invalid bytes, files too large to
 * hold, and characters a vocabulary does not know. The streaming cleaner is checked against the
 * book's definition written plainly (Tokenizer.splitLines and cleanLine).
 */
class TextFileTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path write(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        return b.toByteArray();
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final String TEXT = "The Time Machine, by H. G. Wells\n\nI\nThe Time Traveller (for so it will be convenient to speak of him)\n";

    @ParameterizedTest
    @EnumSource(Tokenizer.class)
    void aByteOrderMarkIsNotText(Tokenizer tokenizer) throws IOException {
        Corpus plain = Corpus.load(write("plain.txt", TEXT), tokenizer, 0);
        Corpus marked = Corpus.load(write("bom.txt", concat(BOM, TEXT.getBytes(StandardCharsets.UTF_8))), tokenizer, 0);
        assertThat(marked.tokens()).isEqualTo(plain.tokens());
        assertThat(marked.vocab().tokens()).isEqualTo(plain.vocab().tokens()).doesNotContain("\uFEFF");
        assertThat(Corpus.readText(dir.resolve("bom.txt"))).isEqualTo(TEXT);
    }

    @Test
    void aByteOrderMarkInsideTheTextIsACharacterLikeAnyOther() throws IOException {
        Corpus c = Corpus.load(write("inside.txt", "ab\uFEFFc"), Tokenizer.CHARS, 0);
        assertThat(c.vocab().tokens()).contains("\uFEFF");
    }

    @ParameterizedTest
    @EnumSource(Tokenizer.class)
    void windowsAndOldMacLineEndsGiveTheSameTokensAsUnixOnes(Tokenizer tokenizer) throws IOException {
        Corpus unix = Corpus.load(write("unix.txt", TEXT), tokenizer, 0);
        Corpus windows = Corpus.load(write("windows.txt", TEXT.replace("\n", "\r\n")), tokenizer, 0);
        Corpus mac = Corpus.load(write("mac.txt", TEXT.replace("\n", "\r")), tokenizer, 0);
        assertThat(windows.tokens()).isEqualTo(unix.tokens());
        assertThat(mac.tokens()).isEqualTo(unix.tokens());
        assertThat(windows.vocab().tokens()).isEqualTo(unix.vocab().tokens()).doesNotContain("\r");
    }

    @Test
    void charsReadsEachLineEndAsOneNewline() {
        assertThat(Tokenizer.CHARS.normalizePrompt("a\r\nb\rc\n\r\nd\r")).isEqualTo("a\nb\nc\n\nd\n");
        assertThat(Tokenizer.CHARS.normalizePrompt("\r\r\n\n")).isEqualTo("\n\n\n");
    }

    @Test
    void theStreamingCleanerIsTheBooksCleaningInAnyPieces() {
        String alphabet = "abcXYZ  ,.!-'\n\r\t\u00e9\u00df9\uFEFF\uD83D\uDE00";
        Random rnd = new Random(20261129);
        for (int trial = 0; trial < 500; trial++) {
            StringBuilder b = new StringBuilder();
            int n = rnd.nextInt(200);
            for (int k = 0; k < n; k++) {
                int at = rnd.nextInt(alphabet.length());
                if (Character.isSurrogate(alphabet.charAt(at))) b.append("\uD83D\uDE00");
                else b.append(alphabet.charAt(at));
            }
            String text = b.toString();
            StringBuilder book = new StringBuilder();
            for (String line : Tokenizer.splitLines(text)) book.append(Tokenizer.cleanLine(line));
            assertThat(inPieces(Tokenizer.LETTERS, text, rnd)).as("letters of %s", text).isEqualTo(book.toString());
            String chars = text.replace("\r\n", "\n").replace('\r', '\n');
            assertThat(inPieces(Tokenizer.CHARS, text, rnd)).as("chars of %s", text).isEqualTo(chars);
            assertThat(new String(Tokenizer.CHARS.codePoints(text), 0, Tokenizer.CHARS.codePoints(text).length)).isEqualTo(chars);
        }
    }

    /** The text fed to a cleaner in random pieces (cutting "\r\n" and surrogate pairs in two). */
    private static String inPieces(Tokenizer tokenizer, String text, Random rnd) {
        StringBuilder out = new StringBuilder();
        Tokenizer.Cleaner c = tokenizer.cleaner();
        int at = 0;
        while (at < text.length()) {
            int to = Math.min(text.length(), at + 1 + rnd.nextInt(5));
            c.feed(text, at, to, out::appendCodePoint);
            at = to;
        }
        c.finish(out::appendCodePoint);
        return out.toString();
    }

    @Test
    void anInvalidByteIsReportedAtItsOffsetInTheFile() throws IOException {
        byte[] ascii = "time traveller".getBytes(StandardCharsets.UTF_8);
        byte[] greek = "\u03a9\u03a9".getBytes(StandardCharsets.UTF_8); // two bytes each
        assertRefusedAt(write("first.txt", new byte[] {(byte) 0xFF, 'a'}), 0, 0xFF);
        assertRefusedAt(write("after-bom.txt", concat(BOM, ascii, new byte[] {(byte) 0xE9, '\n'})), 3 + ascii.length, 0xE9);
        assertRefusedAt(write("after-multibyte.txt", concat(greek, new byte[] {(byte) 0x80})), 4, 0x80);
        assertRefusedAt(write("bad-continuation.txt", concat(ascii, new byte[] {(byte) 0xC3, 'a'})), ascii.length, 0xC3);
        assertRefusedAt(write("cut-at-end.txt", concat(ascii, new byte[] {(byte) 0xE2, (byte) 0x82})), ascii.length, 0xE2);
        // far past the first piece the reader decodes (64 KB), and after a character cut by a piece boundary
        byte[] big = new byte[200_000];
        java.util.Arrays.fill(big, (byte) 'a');
        big[65_535] = (byte) 0xC3; // an é straddling the first boundary
        big[65_536] = (byte) 0xA9;
        big[150_001] = (byte) 0xFE;
        assertRefusedAt(write("far.txt", big), 150_001, 0xFE);
    }

    private static void assertRefusedAt(Path file, long offset, int b) {
        for (Tokenizer t : Tokenizer.values()) {
            assertThatThrownBy(() -> Corpus.load(file, t, 0)).as("%s with %s", file.getFileName(), t).isInstanceOf(CharlmException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(String.format("byte 0x%02X at offset %d ", b, offset))
                    .hasMessageContaining("iconv");
        }
    }

    @Test
    void aCharacterCutByAPieceBoundaryIsReadWhole() throws IOException {
        String text = "a".repeat(65_535) + "\u00e9" + "b".repeat(10) + "\uD83D\uDE00".repeat(40_000);
        Corpus c = Corpus.load(write("straddle.txt", text), Tokenizer.CHARS, 0);
        assertThat(c.vocab().tokens()).containsExactly("<unk>", "a", "\uD83D\uDE00", "b", "\u00e9");
        assertThat(Corpus.readText(dir.resolve("straddle.txt"))).isEqualTo(text);
    }

    @Test
    void aHugeFileIsReadOnlyAsFarAsTheTokensKept() throws IOException {
        // 3 GB: 128 KiB of text, then a sparse run of zero bytes (binary, refused if it were read), more than one byte[] or String can hold
        Path f = write("huge.txt", TEXT.repeat((128 << 10) / TEXT.length() + 1));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(3L << 30);
        }
        Vocab vocab = Corpus.load(write("small.txt", TEXT), Tokenizer.CHARS, 0).vocab();
        Corpus.Encoded e = Corpus.encodeCounting(f, Tokenizer.CHARS, vocab, 1000);
        assertThat(e.tokens()).hasSize(1000);
        assertThat(e.unknown()).isZero();
        assertThatThrownBy(() -> Corpus.encodeCounting(f, Tokenizer.CHARS, vocab, 0)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("looks binary").hasMessageContaining("NUL byte at offset " + Files.size(write("t.txt", TEXT.repeat((128 << 10) / TEXT.length() + 1))));
    }

    @Test
    void keepingMoreTokensThanMemoryHoldsIsRefusedUpFront() {
        Path f = dir.resolve("big.txt");
        long tooMany = Runtime.getRuntime().maxMemory() / 4 + 1;
        assertThatThrownBy(() -> Corpus.allocate(f, tooMany)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("keeping " + tooMany + " tokens of data file " + f)
                .hasMessageContaining("--max-tokens N").hasMessageContaining("-Xmx");
        assertThatThrownBy(() -> Corpus.allocate(f, 3_000_000_000L)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("has 3000000000 tokens, more than the 2147483639 one array can hold").hasMessageContaining("--max-tokens");
        assertThat(Corpus.allocate(f, 10)).hasSize(10);
    }

    @Test
    void encodingCountsWhatTheVocabularyDoesNotKnow() throws IOException {
        Vocab vocab = Vocab.of(List.of("<unk>", "a", "b", " "));
        Path f = write("mixed.txt", "ab ba\r\nQ, a\u03a9\u03a9\u03a9!\n");
        Corpus.Encoded e = Corpus.encodeCounting(f, Tokenizer.CHARS, vocab, 0);
        // a b ' ' b a \n Q , ' ' a Ω Ω Ω ! \n
        assertThat(e.tokens()).hasSize(15);
        assertThat(e.unknown()).isEqualTo(8);
        assertThat(e.unknownSummary(10)).isEqualTo("\"\\u03a9\" 3, \"\\u000a\" 2, \"Q\" 1, \",\" 1, \"!\" 1".replace("\\u03a9", "\u03a9"));
        assertThat(e.unknownSummary(2)).endsWith("and 3 others");
        assertThat(Corpus.encode(f, Tokenizer.CHARS, vocab, 4)).containsExactly(1, 2, 3, 2);
        // with the letters tokenizer the same file is "ab ba" + "q a" (lines joined), and only q is unknown
        Corpus.Encoded letters = Corpus.encodeCounting(f, Tokenizer.LETTERS, vocab, 0);
        assertThat(letters.unknown()).isEqualTo(1);
        assertThat(letters.unknownCharacters()).containsOnlyKeys((int) 'q');
    }

    @Test
    void theVocabularyOfAStreamIsTheVocabularyOfTheArray() {
        List<Integer> cps = new ArrayList<>();
        Random rnd = new Random(5);
        int[] alphabet = {'a', 'b', ' ', 0x1F600, 0x1F601, 0x3A9, 0};
        for (int k = 0; k < 5000; k++) cps.add(alphabet[rnd.nextInt(alphabet.length)]);
        int[] text = cps.stream().mapToInt(Integer::intValue).toArray();
        Vocab.Counter counter = new Vocab.Counter();
        for (int cp : text) counter.accept(cp);
        assertThat(counter.total()).isEqualTo(text.length);
        assertThat(counter.vocab().tokens()).isEqualTo(Vocab.build(text).tokens()).hasSize(alphabet.length + 1);
        // ties by first appearance, across the BMP table and the map of other code points
        assertThat(Vocab.build(new int[] {0x1F600, 'z', 0x1F601, 'y'}).tokens()).containsExactly("<unk>", "\uD83D\uDE00", "z", "\uD83D\uDE01", "y");
    }
}
