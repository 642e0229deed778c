package charlm.data;

import charlm.CharlmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * A text tokenised once into a file of token ids, one byte each when the vocabulary fits in 256
 * (uint8), else two (uint16, little endian), then memory-mapped at every later start, the way nanoGPT
 * maps its train.bin: a text of any length costs a byte or two a character on disk and nothing on the
 * heap. Leaves out everything but the tokens and their vocabulary (no splits, no offsets).
 *
 * <p>The file starts with a header (layout at {@link Header}) that records what the tokens were made
 * from: the text's size, modification time and a hash of its head and tail, the tokenizer and
 * --max-vocab. A cache whose record differs from the text as it is now is rebuilt. A cache that does
 * not read back whole (a bad header, a wrong length, a CRC that does not match) is rebuilt with one
 * line saying so, never read as tokens. A new cache is written under a temporary name and renamed
 * into place only once complete, so a crash or a text that changes while it is read (refused, exit 2)
 * never leaves a file that a later run would trust.
 *
 * <p>Tokenising reads the text twice, as {@link Corpus#load} does: once to count (the book's
 * vocabulary order, by falling frequency, needs every count before the first id can be written),
 * once to write the ids. Neither pass holds the text or an int per character.
 */
public final class TokenCache {
    /** A text file larger than this is tokenised into a cache and mapped rather than held as an int[] (4 bytes a token). */
    public static final long USE_ABOVE_BYTES = 32L << 20;
    /** The largest vocabulary two bytes a token can index. */
    public static final int MAX_VOCAB = 1 << 16;
    /** Bytes of the head and of the tail of the text hashed into the cache's record of it. */
    static final int SAMPLE_BYTES = 1 << 16;

    private TokenCache() {
    }

    /**
     * A text's tokens from its cache, made first when missing, stale or damaged.
     *
     * @param dir      the folder of the cache file; null puts it beside the text
     * @param maxVocab the vocabulary's size limit ({@code <unk>} included), 0 for none
     * @param say      where the lines about the cache (made, rebuilt, what --max-vocab touched) go
     */
    public static Cached open(Path text, Tokenizer tokenizer, int maxVocab, Path dir, Consumer<String> say) {
        Key key = Key.of(text, tokenizer, maxVocab);
        Path file = fileFor(text, tokenizer, maxVocab, dir);
        if (Files.isRegularFile(file)) {
            try {
                Cached c = read(text, file, key, say);
                if (c != null) return c;
            } catch (CharlmException damaged) {
                say.accept("token cache " + file + " is damaged (" + damaged.getMessage() + "); tokenising " + text + " again");
            }
        }
        build(text, key, file, say);
        Cached c = read(text, file, key, line -> { });
        if (c == null) throw new CharlmException("data file " + text + " changed while it was being tokenised; run again once it is no longer being written");
        return c;
    }

    /**
     * The tokens of a cache and their vocabulary.
     *
     * @param droppedCharacters characters --max-vocab turned into {@code <unk>}
     * @param unknownTokens     how many tokens of the text those are
     */
    public record Cached(Path file, Vocab vocab, TokenSequence tokens, int droppedCharacters, long unknownTokens) {
    }

    /** Where a text's cache lives: beside it, or in dir under a name that also tells texts of the same name apart. */
    static Path fileFor(Path text, Tokenizer tokenizer, int maxVocab, Path dir) {
        String name = text.getFileName() + "." + tokenizer.cliName() + (maxVocab > 0 ? ".vocab" + maxVocab : "");
        if (dir == null) {
            Path parent = text.toAbsolutePath().getParent();
            return parent.resolve(name + ".tokens");
        }
        String where = HexFormat.of().formatHex(sha256(text.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8)), 0, 6);
        return dir.resolve(name + "-" + where + ".tokens");
    }

    // ------------------------------------------------------------------ what a cache was made from

    /** The text a cache was made from, as far as can be told without reading it all, and how it was tokenised. */
    public record Key(long textSize, long textModified, String textHash, Tokenizer tokenizer, int maxVocab) {
        static Key of(Path text, Tokenizer tokenizer, int maxVocab) {
            if (Files.isDirectory(text)) throw new CharlmException("data file " + text + " is a directory; give a text file");
            try (FileChannel ch = FileChannel.open(text, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) throw new CharlmException("data file " + text + " is empty; give a text file with some text in it");
                MessageDigest d = digest();
                d.update(ByteBuffer.allocate(8).putLong(size).array());
                ByteBuffer b = ByteBuffer.allocate(SAMPLE_BYTES);
                for (long at : new long[] {0, Math.max(0, size - SAMPLE_BYTES)}) {
                    b.clear();
                    while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
                        // reads until the sample is full or the file ends
                    }
                    b.flip();
                    d.update(b);
                }
                return new Key(size, Files.getLastModifiedTime(text).toMillis(), HexFormat.of().formatHex(d.digest()), tokenizer, maxVocab);
            } catch (NoSuchFileException e) {
                throw new CharlmException("data file " + text + " does not exist; check the path given to --data");
            } catch (IOException e) {
                throw new CharlmException("cannot read data file " + text + ": " + e.getMessage(), e);
            }
        }
    }

    // ------------------------------------------------------------------ the file

    /**
     * The cache file's header, little endian:
     * <pre>
     *   0   8  magic "CHARLMTK"          60  4  tokenizer (ordinal of {@link Tokenizer})
     *   8   4  format version (1)         64  4  --max-vocab (0 = none)
     *  12   4  header bytes H             68  8  tokens --max-vocab made {@code <unk>}
     *  16   4  bytes per token (1 or 2)   76  4  characters --max-vocab made {@code <unk>}
     *  20   4  vocabulary size V          80  4  CRC32C of the tokens
     *  24   8  tokens N                   84  4(V-1) the vocabulary's code points after {@code <unk>}
     *  32   8  text size                 H-4  4  CRC32C of the header's bytes before it
     *  40   8  text modified (ms)
     *  48  12  first 12 bytes of the SHA-256 of the text's size, head and tail
     * </pre>
     * then the N tokens. H = 88 + 4(V-1), and the file is H + N·width bytes long.
     */
    public record Header(int width, long tokens, Key key, long unknownTokens, int droppedCharacters, int payloadCrc, List<String> vocab) {
        static final byte[] MAGIC = "CHARLMTK".getBytes(StandardCharsets.US_ASCII);
        static final int VERSION = 1;
        static final int FIXED_BYTES = 88;
        static final int HASH_BYTES = 12;

        int headerBytes() {
            return FIXED_BYTES + 4 * (vocab.size() - 1);
        }

        byte[] bytes() {
            ByteBuffer b = ByteBuffer.allocate(headerBytes()).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(VERSION).putInt(headerBytes()).putInt(width).putInt(vocab.size()).putLong(tokens)
                    .putLong(key.textSize()).putLong(key.textModified()).put(HexFormat.of().parseHex(key.textHash()), 0, HASH_BYTES)
                    .putInt(key.tokenizer().ordinal()).putInt(key.maxVocab()).putLong(unknownTokens).putInt(droppedCharacters).putInt(payloadCrc);
            for (String t : vocab.subList(1, vocab.size())) b.putInt(t.codePointAt(0));
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.position());
            b.putInt((int) crc.getValue());
            return b.array();
        }

        /**
         * Reads a header from the start of a cache file of fileSize bytes (b holds its first bytes, as
         * many as there are up to the header's end). Anything that is not a header this version wrote
         * for a file of that size is refused with one line saying what is wrong; nothing the bytes say
         * is trusted before it is checked (a size, before anything of that size is made).
         */
        public static Header read(ByteBuffer in, long fileSize) {
            ByteBuffer b = in.slice().order(ByteOrder.LITTLE_ENDIAN);
            if (b.remaining() < FIXED_BYTES + 4) throw damaged("shorter than a header");
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw damaged("not a charlm token cache");
            int version = b.getInt();
            if (version != VERSION) throw damaged("format version " + version + ", this charlm reads " + VERSION);
            int headerBytes = b.getInt(), width = b.getInt(), v = b.getInt();
            long n = b.getLong();
            if (width != 1 && width != 2) throw damaged(width + " bytes per token");
            if (v < 2 || v > (width == 1 ? 256 : MAX_VOCAB)) throw damaged("a vocabulary of " + v + " at " + width + " byte(s) per token");
            if (headerBytes != FIXED_BYTES + 4 * (v - 1)) throw damaged("a header of " + headerBytes + " bytes for a vocabulary of " + v);
            if (b.limit() < headerBytes) throw damaged("cut inside its header");
            if (n < 1 || n > (fileSize - headerBytes) / width || headerBytes + n * width != fileSize) {
                throw damaged(fileSize + " bytes long, not the " + headerBytes + " + " + n + " x " + width + " its header says (cut short?)");
            }
            CRC32C crc = new CRC32C();
            ByteBuffer covered = b.duplicate().position(0).limit(headerBytes - 4);
            crc.update(covered);
            if ((int) crc.getValue() != b.getInt(headerBytes - 4)) throw damaged("its header's checksum does not match");
            long textSize = b.getLong(), textModified = b.getLong();
            byte[] hash = new byte[HASH_BYTES];
            b.get(hash);
            int tokenizer = b.getInt(), maxVocab = b.getInt();
            long unknown = b.getLong();
            int dropped = b.getInt(), payloadCrc = b.getInt();
            if (tokenizer < 0 || tokenizer >= Tokenizer.values().length) throw damaged("tokenizer " + tokenizer);
            if (maxVocab < 0 || unknown < 0 || unknown > n || dropped < 0) throw damaged("its --max-vocab record does not add up");
            List<String> vocab = new ArrayList<>(v);
            vocab.add(Vocab.UNK);
            for (int i = 1; i < v; i++) {
                int cp = b.getInt();
                if (!Character.isValidCodePoint(cp)) throw damaged("vocabulary entry " + i + " is not a character");
                vocab.add(new String(Character.toChars(cp)));
            }
            Key key = new Key(textSize, textModified, HexFormat.of().formatHex(hash), Tokenizer.values()[tokenizer], maxVocab);
            return new Header(width, n, key, unknown, dropped, payloadCrc, vocab);
        }

        private static CharlmException damaged(String why) {
            return new CharlmException(why);
        }
    }

    /** The cache's tokens when it is whole and was made from the text as it is now; null when stale. */
    private static Cached read(Path text, Path file, Key key, Consumer<String> say) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            Header h = readHeader(ch, size);
            Key recorded = new Key(h.key().textSize(), h.key().textModified(), h.key().textHash(), h.key().tokenizer(), h.key().maxVocab());
            if (!recorded.equals(shortened(key))) {
                say.accept("data file " + text + " has changed since its tokens were cached in " + file + "; tokenising it again");
                return null;
            }
            if (payloadCrc(ch, h.headerBytes(), size) != h.payloadCrc()) throw new CharlmException("its tokens' checksum does not match");
            Vocab vocab;
            try {
                vocab = Vocab.of(h.vocab());
            } catch (IllegalArgumentException e) {
                throw new CharlmException("its vocabulary is not one (" + e.getMessage() + ")");
            }
            Region all = new Region(file.toAbsolutePath().toString(), h.payloadCrc(), h.tokens(), 0, h.tokens());
            TokenSequence tokens = MappedTokens.map(file, ch, h.headerBytes(), h.tokens(), h.width(), MappedTokens.CHUNK_BYTES, all);
            return new Cached(file, vocab, tokens, h.droppedCharacters(), h.unknownTokens());
        } catch (IOException e) {
            throw new CharlmException("it cannot be read (" + e.getMessage() + ")");
        }
    }

    /** The header of a cache file (refused as damaged when it is not one). */
    private static Header readHeader(FileChannel ch, long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, Header.FIXED_BYTES + 4L * MAX_VOCAB));
        while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
            // the header, or as much of the file as there is
        }
        head.flip();
        return Header.read(head, size);
    }

    /**
     * Tokens [from, to) of the cache file at path, whose header records tokens tokens under the payload checksum
     * crc: small enough to send to another process, which maps the same tokens with {@link #map(Region)}.
     */
    public record Region(String path, int crc, long tokens, long from, long to) implements java.io.Serializable {
        Region slice(long start, long end) {
            return new Region(path, crc, tokens, from + start, from + end);
        }
    }

    /**
     * The tokens of a region, mapped from its file by this process: refused in one line when the file cannot be
     * read here or is not the cache the region was cut from (another text's, or remade since). The header's
     * payload checksum stands for the tokens: reading them all again to check it, in every process, would cost
     * a pass over the text each; the process that made or opened the cache checked them.
     */
    public static TokenSequence map(Region r) {
        Path file = Path.of(r.path());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h;
            try {
                h = readHeader(ch, ch.size());
            } catch (CharlmException damaged) {
                h = null;
            }
            if (h == null || h.payloadCrc() != r.crc() || h.tokens() != r.tokens()) {
                throw new CharlmException("token cache " + file + " is not the one the run started from (remade since?); start the run again");
            }
            Region all = new Region(r.path(), r.crc(), r.tokens(), 0, r.tokens());
            return MappedTokens.map(file, ch, h.headerBytes(), h.tokens(), h.width(), MappedTokens.CHUNK_BYTES, all).slice(r.from(), r.to());
        } catch (IOException e) {
            throw new CharlmException("token cache " + file + " cannot be read here (" + e.getMessage() + "); put it where every worker "
                    + "reaches it at the same path (a shared file system), or use --token-cache DIR on one");
        }
    }

    /** A key as a header keeps it: the hash cut to {@link Header#HASH_BYTES}. */
    private static Key shortened(Key k) {
        return new Key(k.textSize(), k.textModified(), k.textHash().substring(0, 2 * Header.HASH_BYTES), k.tokenizer(), k.maxVocab());
    }

    /** CRC32C of the tokens, read through the channel (a pass over the page cache; no token is used before it matches). */
    private static int payloadCrc(FileChannel ch, long from, long to) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        for (long at = from; at < to; ) {
            b.clear();
            int n = ch.read(b, at);
            if (n <= 0) break;
            b.flip();
            crc.update(b);
            at += n;
        }
        return (int) crc.getValue();
    }

    /** Tokenises the text into a temporary file beside the cache and renames it into place once whole. */
    static void build(Path text, Key key, Path file, Consumer<String> say) {
        Path dir = file.getParent();
        Path tmp = null;
        try {
            try {
                Files.createDirectories(dir);
                tmp = dir.resolve("." + file.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
                Files.newByteChannel(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW).close();
            } catch (IOException e) {
                throw cannotWrite(file, e);
            }
            long t0 = System.nanoTime();
            say.accept("tokenising " + text + " once into " + file + " (" + String.format(Locale.ROOT, "%.1f", key.textSize() / 1e6)
                    + " MB: one pass to count the characters, one to write their ids)");
            Vocab.Counter counter = Corpus.count(text, key.tokenizer());
            Vocab.Limited limited = counter.limited(key.maxVocab());
            Vocab vocab = limited.vocab();
            if (vocab.size() > MAX_VOCAB) {
                throw new CharlmException("data file " + text + " has " + (vocab.size() - 1) + " different characters, more than the "
                        + (MAX_VOCAB - 1) + " a token cache can index; give --max-vocab " + MAX_VOCAB + " (or fewer) to make the rarest <unk>");
            }
            int width = vocab.size() <= 256 ? 1 : 2;
            int headerBytes = Header.FIXED_BYTES + 4 * (vocab.size() - 1);
            long written;
            CRC32C crc = new CRC32C();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                TokenWriter w = new TokenWriter(ch, headerBytes, width, vocab, crc);
                Corpus.stream(text, key.tokenizer(), w, () -> false);
                w.flush();
                written = w.count;
                if (written != counter.total() || !Key.of(text, key.tokenizer(), key.maxVocab()).equals(key)) {
                    throw new CharlmException("data file " + text + " changed while it was being tokenised; run again once it is no longer being written");
                }
                Header h = new Header(width, written, key, limited.unknownTokens(), limited.droppedCharacters(), (int) crc.getValue(), vocab.tokens());
                ByteBuffer hb = ByteBuffer.wrap(h.bytes());
                while (hb.hasRemaining()) ch.write(hb, hb.position());
                ch.force(true);
            } catch (UncheckedIOException e) {
                throw cannotWrite(file, e.getCause());
            } catch (IOException e) {
                throw cannotWrite(file, e);
            }
            try {
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                tmp = null;
            } catch (IOException e) {
                throw cannotWrite(file, e);
            }
            say.accept(String.format(Locale.ROOT, "cached %d tokens (vocabulary %d, %d byte%s a token) in %.1f s", written, vocab.size(), width,
                    width == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9));
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temporary file is never read as a cache: only the final name is
                }
            }
        }
    }

    private static CharlmException cannotWrite(Path file, IOException e) {
        String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.FileAlreadyExistsException || e instanceof java.nio.file.NotDirectoryException ? "a file is in the way of its folder"
                : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                : String.valueOf(e.getMessage());
        return new CharlmException("cannot write the token cache " + file + " (" + why + "); nothing was cached. Make its folder writable, "
                + "free some space, or give --token-cache DIR with a folder that is", e);
    }

    /** Writes token ids as they come, through a buffer, into the file after the header's room. */
    private static final class TokenWriter implements java.util.function.IntConsumer {
        private final FileChannel ch;
        private final int width;
        private final Vocab vocab;
        private final int[] bmp = new int[Character.MIN_SUPPLEMENTARY_CODE_POINT]; // code point -> id, without boxing
        private final CRC32C crc;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long at, count;

        TokenWriter(FileChannel ch, long at, int width, Vocab vocab, CRC32C crc) {
            this.ch = ch;
            this.at = at;
            this.width = width;
            this.vocab = vocab;
            this.crc = crc;
            for (int cp = 0; cp < bmp.length; cp++) bmp[cp] = -1;
            for (int i = 1; i < vocab.size(); i++) {
                int cp = vocab.token(i).codePointAt(0);
                if (cp < bmp.length) bmp[cp] = i;
            }
        }

        @Override
        public void accept(int cp) {
            int id = cp >= 0 && cp < bmp.length ? bmp[cp] : vocab.index(cp);
            if (id < 0) id = 0;
            if (width == 1) {
                buf.put((byte) id);
            } else {
                buf.putShort((short) id);
            }
            count++;
            if (!buf.hasRemaining()) flush();
        }

        void flush() {
            buf.flip();
            crc.update(buf.duplicate());
            try {
                while (buf.hasRemaining()) at += ch.write(buf, at);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            buf.clear();
        }
    }

    private static byte[] sha256(byte[] bytes) {
        return digest().digest(bytes);
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
