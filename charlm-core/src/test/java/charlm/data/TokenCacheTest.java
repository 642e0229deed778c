package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token cache against the in-memory reader as its oracle: the same vocabulary and the same ids,
 * one byte a token or two; what makes it rebuild (a changed text, a damaged file) and what is refused
 * (a text that changes while read, a folder that cannot be written) without leaving a cache behind.
 */
class TokenCacheTest {
    @TempDir
    Path dir;

    private final List<String> said = new ArrayList<>();

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private TokenCache.Cached open(Path text, Tokenizer t, int maxVocab) {
        return TokenCache.open(text, t, maxVocab, dir.resolve("cache"), said::add);
    }

    private static String sample(int distinct, int length) {
        StringBuilder b = new StringBuilder();
        java.util.Random r = new java.util.Random(5);
        // skewed, so that frequencies (and the vocabulary's order) differ
        for (int i = 0; i < length; i++) b.appendCodePoint(0x100 + (int) (distinct * Math.pow(r.nextDouble(), 3)));
        return b.append("\nThe end.\r\n").toString();
    }

    private static void assertSameTokens(TokenSequence mapped, int[] expected) {
        assertThat(mapped.length()).isEqualTo(expected.length);
        assertThat(mapped.toArray()).isEqualTo(expected);
    }

    @Test
    void aSmallVocabularyIsOneByteATokenAndReadsBackAsTheInMemoryReaderReadsIt() throws IOException {
        for (Tokenizer t : Tokenizer.values()) {
            Path text = write("book-" + t + ".txt", "The Time Traveller (for so it will be convenient to speak of him)\r\nwas expounding\n".repeat(50));
            Corpus oracle = Corpus.load(text, t, 0);
            TokenCache.Cached c = open(text, t, 0);
            assertThat(c.vocab().tokens()).isEqualTo(oracle.vocab().tokens());
            assertSameTokens(c.tokens(), oracle.tokens());
            int header = 88 + 4 * (oracle.vocab().size() - 1);
            assertThat(Files.size(c.file())).as("uint8").isEqualTo(header + oracle.size());
        }
    }

    @Test
    void aLargeVocabularyIsTwoBytesATokenAndMaxVocabMakesTheRarestUnknown() throws IOException {
        Path text = write("wide.txt", sample(600, 20_000));
        Corpus oracle = Corpus.load(text, Tokenizer.CHARS, 0);
        assertThat(oracle.vocab().size()).isGreaterThan(256);
        TokenCache.Cached c = open(text, Tokenizer.CHARS, 0);
        assertSameTokens(c.tokens(), oracle.tokens());
        assertThat(Files.size(c.file())).as("uint16").isEqualTo(88 + 4 * (oracle.vocab().size() - 1) + 2L * oracle.size());
        assertThat(c.droppedCharacters()).isZero();

        List<String> inMemory = new ArrayList<>();
        Corpus cut = Corpus.load(text, Tokenizer.CHARS, 0, 100, inMemory::add);
        TokenCache.Cached limited = open(text, Tokenizer.CHARS, 100);
        assertThat(limited.vocab().tokens()).hasSize(100).isEqualTo(cut.vocab().tokens()).isEqualTo(oracle.vocab().tokens().subList(0, 100));
        assertSameTokens(limited.tokens(), cut.tokens());
        long unknown = java.util.Arrays.stream(cut.tokens()).filter(x -> x == 0).count();
        assertThat(limited.unknownTokens()).isEqualTo(unknown).isPositive();
        assertThat(limited.droppedCharacters()).isEqualTo(oracle.vocab().size() - 100);
        assertThat(Files.size(limited.file())).as("uint8 once the vocabulary fits").isEqualTo(88 + 4 * 99 + cut.size());
        assertThat(inMemory).singleElement().asString().contains("--max-vocab 100").contains(unknown + " of " + cut.size() + " tokens");
    }

    /** What an executor of train --spark does with its shard: maps the cache itself from a region the driver sent. */
    @Test
    void aSliceNamesItsRegionAndAnotherMapOfThatRegionReadsTheSameTokensOrRefusesAnotherCache() throws IOException {
        Path text = write("region.txt", sample(600, 20_000));
        TokenCache.Cached c = open(text, Tokenizer.CHARS, 0);
        TokenSequence slice = c.tokens().slice(1_000, 15_000).slice(17, 9_017);
        TokenCache.Region r = slice.region().orElseThrow();
        assertThat(r.to() - r.from()).isEqualTo(9_000);
        assertSameTokens(TokenCache.map(r), slice.toArray());
        assertThat(TokenSequence.of(new int[] {1, 2}).region()).as("tokens in memory lie in no file").isEmpty();

        // The text changed and its cache was remade: a region of the old one is refused, not read as other tokens.
        write("region.txt", sample(600, 20_001));
        open(text, Tokenizer.CHARS, 0);
        assertThatThrownBy(() -> TokenCache.map(r)).isInstanceOf(CharlmException.class).hasMessageContaining("is not the one the run started from");
        TokenCache.Region gone = new TokenCache.Region(dir.resolve("nowhere.tokens").toString(), r.crc(), r.tokens(), r.from(), r.to());
        assertThatThrownBy(() -> TokenCache.map(gone)).isInstanceOf(CharlmException.class).hasMessageContaining("cannot be read here")
                .hasMessageContaining("shared file system");
    }

    @Test
    void aSecondOpenReadsTheCacheAndAChangedTextRebuildsIt() throws IOException {
        Path text = write("t.txt", "abc abd abe\n".repeat(100));
        TokenCache.Cached first = open(text, Tokenizer.CHARS, 0);
        FileTime made = Files.getLastModifiedTime(first.file());
        said.clear();
        TokenCache.Cached second = open(text, Tokenizer.CHARS, 0);
        assertThat(said).as("nothing rebuilt").isEmpty();
        assertThat(Files.getLastModifiedTime(second.file())).isEqualTo(made);
        assertSameTokens(second.tokens(), first.tokens().toArray());

        write("t.txt", "abc abd abe\n".repeat(100) + "xyz\n");
        TokenCache.Cached third = open(text, Tokenizer.CHARS, 0);
        assertThat(said).anyMatch(l -> l.contains("has changed since its tokens were cached"));
        assertSameTokens(third.tokens(), Corpus.load(text, Tokenizer.CHARS, 0).tokens());

        // same size and content at the head and tail, another time: still rebuilt (the time is part of the record)
        said.clear();
        Files.setLastModifiedTime(text, FileTime.fromMillis(Files.getLastModifiedTime(text).toMillis() - 60_000));
        open(text, Tokenizer.CHARS, 0);
        assertThat(said).anyMatch(l -> l.contains("has changed"));
        // another tokenizer or --max-vocab is another cache file
        assertThat(open(text, Tokenizer.LETTERS, 0).file()).isNotEqualTo(third.file());
        assertThat(open(text, Tokenizer.CHARS, 3).file()).isNotEqualTo(third.file());
    }

    @Test
    void aDamagedOrTruncatedCacheIsRebuiltWithOneLineNeverReadAsTokens() throws IOException {
        Path text = write("d.txt", "the quick brown fox jumps over the lazy dog\n".repeat(300));
        int[] expected = Corpus.load(text, Tokenizer.CHARS, 0).tokens();
        Path file = open(text, Tokenizer.CHARS, 0).file();
        long size = Files.size(file);
        record Damage(String what, long at, String says) { }
        for (Damage d : List.of(new Damage("a token", size - 100, "tokens' checksum"), new Damage("the header's vocabulary", 90, "header's checksum"),
                new Damage("the magic", 0, "not a charlm token cache"))) {
            open(text, Tokenizer.CHARS, 0);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, d.at());
                b.put(0, (byte) (b.get(0) ^ 0x01)).rewind();
                ch.write(b, d.at());
            }
            said.clear();
            TokenCache.Cached c = open(text, Tokenizer.CHARS, 0);
            assertThat(said).as(d.what()).first().asString().contains("is damaged").contains(d.says()).contains("tokenising");
            assertSameTokens(c.tokens(), expected);
        }
        for (long cut : new long[] {size - 1, 50, 0}) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(cut);
            }
            said.clear();
            TokenCache.Cached c = open(text, Tokenizer.CHARS, 0);
            assertThat(said).as("cut to %d bytes", cut).first().asString().contains("is damaged");
            assertSameTokens(c.tokens(), expected);
        }
    }

    @Test
    void aTextThatChangesWhileTokenisedIsRefusedAndLeavesNoCache() throws IOException {
        Path text = write("moving.txt", "some text\n".repeat(100));
        TokenCache.Key before = TokenCache.Key.of(text, Tokenizer.CHARS, 0);
        write("moving.txt", "some text\n".repeat(100) + "and more\n"); // what a writer does between the first look and the last
        Path file = TokenCache.fileFor(text, Tokenizer.CHARS, 0, dir.resolve("cache"));
        Files.createDirectories(file.getParent());
        assertThatThrownBy(() -> TokenCache.build(text, before, file, said::add)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("changed while it was being tokenised").hasMessageContaining("run again");
        try (Stream<Path> left = Files.list(file.getParent())) {
            assertThat(left).as("no cache and no temporary file").isEmpty();
        }
    }

    @Test
    void aFolderThatCannotBeWrittenIsRefusedAndABinaryTextLeavesNothing() throws IOException {
        Path text = write("ok.txt", "text\n");
        Path blocker = write("file", "x"); // tests run as root, for whom a read-only folder is writable: a folder under a file is not
        assertThatThrownBy(() -> TokenCache.open(text, Tokenizer.CHARS, 0, blocker.resolve("cache"), said::add))
                .isInstanceOf(CharlmException.class).hasMessageContaining("cannot write the token cache").hasMessageContaining("--token-cache");
        assertThat(Files.readString(blocker)).isEqualTo("x");

        Path binary = Files.write(dir.resolve("b.bin"), new byte[] {'a', 'b', 0, 0, 1, 'c'});
        assertThatThrownBy(() -> open(binary, Tokenizer.CHARS, 0)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("looks binary").hasMessageContaining("offset 2");
        try (Stream<Path> left = Files.list(dir.resolve("cache"))) {
            assertThat(left).isEmpty();
        }
        StringBuilder every = new StringBuilder("aaaa");
        for (int cp = 0x100, n = 0; n < TokenCache.MAX_VOCAB + 10; cp++) {
            if (Character.getType(cp) != Character.SURROGATE) {
                every.appendCodePoint(cp);
                n++;
            }
        }
        Path tooWide = write("wide.txt", every.toString());
        assertThatThrownBy(() -> open(tooWide, Tokenizer.CHARS, 0)).isInstanceOf(CharlmException.class).hasMessageContaining("--max-vocab 65536");
        assertThat(open(tooWide, Tokenizer.CHARS, TokenCache.MAX_VOCAB).vocab().size()).isEqualTo(TokenCache.MAX_VOCAB);
    }

    @Test
    void mappedChunksAreCrossedWithoutATokenStraddlingTwo() throws IOException {
        for (int width : new int[] {1, 2}) {
            int n = 1000, header = 37; // an odd header: the mapping need not be aligned
            Path f = dir.resolve("raw" + width);
            ByteBuffer b = ByteBuffer.allocate(header + n * width).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int[] expected = new int[n];
            b.position(header);
            for (int i = 0; i < n; i++) {
                expected[i] = (i * 7919) % (width == 1 ? 256 : 65536);
                if (width == 1) b.put((byte) expected[i]); else b.putShort((short) expected[i]);
            }
            Files.write(f, b.array());
            try (FileChannel ch = FileChannel.open(f)) {
                MappedTokens m = MappedTokens.map(f, ch, header, n, width, 8, null); // 8-byte chunks: 125 or 250 of them
                assertSameTokens(m, expected);
                TokenSequence s = m.slice(333, 901);
                int[] part = new int[568];
                s.copy(0, part, 0, 568);
                assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(expected, 333, 901));
                assertThat(s.slice(10, 20).get(9)).isEqualTo(expected[333 + 19]);
                // copy reads the file, not the map: every run, across chunks, into the middle of an array, as get reads it
                for (int from = 0; from < 568; from += 37) {
                    int len = Math.min(568 - from, 1 + from % 50);
                    int[] into = new int[len + 3];
                    s.copy(from, into, 2, len);
                    for (int k = 0; k < len; k++) assertThat(into[2 + k]).isEqualTo(s.get(from + k)).isEqualTo(expected[333 + from + k]);
                    assertThat(into[0]).isZero();
                    assertThat(into[len + 2]).isZero();
                }
                assertThatThrownBy(() -> s.copy(560, part, 0, 9)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> s.get(568)).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }
    }
}
