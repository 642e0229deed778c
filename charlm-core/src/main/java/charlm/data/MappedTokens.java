package charlm.data;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Token ids of a {@link TokenCache} file, memory-mapped: one or two bytes a token (uint8, uint16 little
 * endian), read where they lie, so a text of any length costs the page cache, not the heap.
 *
 * <p>On Java 17 one MappedByteBuffer covers at most 2 GiB (its index is an int), so the tokens are
 * mapped in chunks of {@link #CHUNK_BYTES}; a chunk holds a whole number of tokens, so none straddles
 * two. The chunk size is a parameter so that tests can cross many chunk boundaries with a small file.
 */
final class MappedTokens implements TokenSequence {
    /** 1 GiB: a power of two below the 2 GiB a buffer can map, and a multiple of every token width. */
    static final int CHUNK_BYTES = 1 << 30;

    private final MappedByteBuffer[] chunks;
    private final int shift;       // log2 of the chunk size in bytes
    private final int width;       // bytes per token: 1 or 2
    private final long from, length;
    private final TokenCache.Region whole; // the file and place of all the mapped tokens, to name a slice's; null when not known

    private MappedTokens(MappedByteBuffer[] chunks, int shift, int width, long from, long length, TokenCache.Region whole) {
        this.chunks = chunks;
        this.shift = shift;
        this.width = width;
        this.from = from;
        this.length = length;
        this.whole = whole;
    }

    /** Maps count tokens of width bytes that start at byte offset in the channel, in chunks of chunkBytes (a power of two). */
    static MappedTokens map(FileChannel ch, long offset, long count, int width, int chunkBytes) throws IOException {
        return map(ch, offset, count, width, chunkBytes, null);
    }

    /** The same, knowing where the tokens lie (so that another process can map the same ones: {@link #region}). */
    static MappedTokens map(FileChannel ch, long offset, long count, int width, int chunkBytes, TokenCache.Region whole) throws IOException {
        if (Integer.bitCount(chunkBytes) != 1 || chunkBytes < width) throw new IllegalArgumentException("chunk size " + chunkBytes);
        long bytes = count * width;
        int n = (int) ((bytes + chunkBytes - 1) / chunkBytes);
        MappedByteBuffer[] chunks = new MappedByteBuffer[n];
        for (int c = 0; c < n; c++) {
            long start = (long) c * chunkBytes;
            chunks[c] = ch.map(FileChannel.MapMode.READ_ONLY, offset + start, Math.min(chunkBytes, bytes - start));
            chunks[c].order(ByteOrder.LITTLE_ENDIAN);
        }
        return new MappedTokens(chunks, Integer.numberOfTrailingZeros(chunkBytes), width, 0, count, whole);
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
    public TokenSequence slice(long start, long end) {
        TokenSequence.checkSlice(start, end, length);
        return new MappedTokens(chunks, shift, width, from + start, end - start, whole);
    }

    @Override
    public java.util.Optional<TokenCache.Region> region() {
        return whole == null ? java.util.Optional.empty() : java.util.Optional.of(whole.slice(from, from + length));
    }
}
