package charlm.data;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Token ids of a {@link TokenCache} file, memory-mapped: one or two bytes a token (uint8, uint16 little
 * endian), read where they lie, so a text of any length costs the page cache, not the heap.
 *
 * <p>On Java 17 one MappedByteBuffer covers at most 2 GiB (its index is an int), so the tokens are
 * mapped in chunks of {@link #CHUNK_BYTES}; a chunk holds a whole number of tokens, so none straddles
 * two. The chunk size is a parameter so that tests can cross many chunk boundaries with a small file.
 *
 * <p>Runs of tokens ({@link #copy}: the samplers' windows, the scoring's pieces) are read with a plain
 * positioned read of the file instead, not through the map: every page a mapping has touched stays in
 * the process's resident set until it is unmapped, which Java 17 cannot do on request (no madvise, no
 * unmap), so random windows over a 2.35 GB cache would, over an hour, make most of it resident. Read,
 * the same bytes come from the page cache, which the kernel shares and reclaims, and the process keeps
 * none of them. Single tokens ({@link #get}) still read the map.
 */
final class MappedTokens implements TokenSequence {
    /** 1 GiB: a power of two below the 2 GiB a buffer can map, and a multiple of every token width. */
    static final int CHUNK_BYTES = 1 << 30;

    /** Bytes read at a time by {@link #copy}: a window is a few hundred; a whole short text goes through in pieces. */
    private static final int READ_BYTES = 1 << 16;
    private static final Cleaner CLOSER = Cleaner.create();
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[READ_BYTES]);

    private final MappedByteBuffer[] chunks;
    private final TokenFile file;   // the same tokens, read rather than mapped, shared by every slice
    private final int shift;       // log2 of the chunk size in bytes
    private final int width;       // bytes per token: 1 or 2
    private final long from, length;
    private final TokenCache.Region whole; // the file and place of all the mapped tokens, to name a slice's; null when not known

    private MappedTokens(MappedByteBuffer[] chunks, TokenFile file, int shift, int width, long from, long length, TokenCache.Region whole) {
        this.chunks = chunks;
        this.file = file;
        this.shift = shift;
        this.width = width;
        this.from = from;
        this.length = length;
        this.whole = whole;
    }

    /**
     * The file, open for positioned reads of the tokens from byte offset. A RandomAccessFile, not a
     * FileChannel: a channel is closed for good when a thread reading it is interrupted, this is not.
     * Closed when no sequence refers to it any more.
     */
    private static final class TokenFile {
        private final RandomAccessFile raf;
        private final long offset;

        TokenFile(Path path, long offset) throws IOException {
            this.raf = new RandomAccessFile(path.toFile(), "r");
            this.offset = offset;
            RandomAccessFile f = raf;
            CLOSER.register(this, () -> {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // read-only: nothing is lost
                }
            });
        }

        /** Reads len bytes from byte position pos of the tokens into b. */
        void read(long pos, byte[] b, int len) {
            try {
                synchronized (raf) { // one file position
                    raf.seek(offset + pos);
                    raf.readFully(b, 0, len);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the token cache: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Maps count tokens of width bytes that start at byte offset in the channel, in chunks of chunkBytes (a
     * power of two); file is the channel's file, opened again for {@link #copy}; whole says where the tokens lie
     * (so that another process can map the same ones: {@link #region}), or is null.
     */
    static MappedTokens map(Path file, FileChannel ch, long offset, long count, int width, int chunkBytes, TokenCache.Region whole)
            throws IOException {
        if (Integer.bitCount(chunkBytes) != 1 || chunkBytes < width) throw new IllegalArgumentException("chunk size " + chunkBytes);
        long bytes = count * width;
        int n = (int) ((bytes + chunkBytes - 1) / chunkBytes);
        MappedByteBuffer[] chunks = new MappedByteBuffer[n];
        for (int c = 0; c < n; c++) {
            long start = (long) c * chunkBytes;
            chunks[c] = ch.map(FileChannel.MapMode.READ_ONLY, offset + start, Math.min(chunkBytes, bytes - start));
            chunks[c].order(ByteOrder.LITTLE_ENDIAN);
        }
        return new MappedTokens(chunks, new TokenFile(file, offset), Integer.numberOfTrailingZeros(chunkBytes), width, 0, count, whole);
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public int get(long i) {
        java.util.Objects.checkIndex(i, length);
        long at = (from + i) * width;
        MappedByteBuffer chunk = chunks[(int) (at >>> shift)];
        int inChunk = (int) (at & ((1L << shift) - 1));
        return width == 1 ? chunk.get(inChunk) & 0xff : chunk.getShort(inChunk) & 0xffff;
    }

    @Override
    public void copy(long start, int[] dst, int at, int n) {
        TokenSequence.checkSlice(start, start + n, length);
        java.util.Objects.checkFromIndexSize(at, n, dst.length);
        byte[] b = SCRATCH.get();
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, READ_BYTES / width);
            file.read((from + start + done) * width, b, k * width);
            if (width == 1) {
                for (int j = 0; j < k; j++) dst[at + done + j] = b[j] & 0xff;
            } else {
                for (int j = 0; j < k; j++) dst[at + done + j] = (b[2 * j] & 0xff) | (b[2 * j + 1] & 0xff) << 8; // little endian
            }
            done += k;
        }
    }

    @Override
    public TokenSequence slice(long start, long end) {
        TokenSequence.checkSlice(start, end, length);
        return new MappedTokens(chunks, file, shift, width, from + start, end - start, whole);
    }

    @Override
    public java.util.Optional<TokenCache.Region> region() {
        return whole == null ? java.util.Optional.empty() : java.util.Optional.of(whole.slice(from, from + length));
    }
}
