package charlm.io;

import charlm.CharlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format, float32 only: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range (plus "__metadata__", a map of strings), padded
 * with spaces to a multiple of 8, then the raw little-endian row-major data.
 */
public final class Safetensors {
    private Safetensors() {
    }

    /** A float32 tensor: its shape and row-major values. */
    public record Tensor(int[] shape, float[] values) {
        public Tensor {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != values.length) throw new IllegalArgumentException("shape holds " + n + " values, got " + values.length);
        }
    }

    /** A whole file's tensors (in file order) and metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            List<Object> shape = new ArrayList<>();
            for (int d : e.getValue().shape()) shape.add(d);
            info.put("shape", shape);
            long bytes = 4L * e.getValue().values().length;
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        AtomicFiles.write(file, out -> {
            out.write(head.array());
            for (Tensor t : tensors.values()) {
                ByteBuffer buf = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(t.values());
                out.write(buf.array());
            }
        });
    }

    /**
     * Reads a whole file; any problem is one clear CharlmException naming the file. The file is
     * read in place: the header is checked against the file's length first, and no buffer larger
     * than the bytes actually in the file is ever allocated.
     */
    public static Contents read(Path file) {
        String where = "checkpoint " + file;
        if (Files.isDirectory(file)) throw new CharlmException(where + " is a directory; give a .safetensors file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(new FileBytes(ch), where);
        } catch (NoSuchFileException e) {
            throw new CharlmException(where + " does not exist; check the path given to --model");
        } catch (IOException e) {
            throw new CharlmException("cannot read " + where + ": " + e.getMessage(), e);
        }
    }

    /** The same reader over bytes in memory; {@code what} names them in messages ("checkpoint x"). */
    public static Contents read(byte[] bytes, String what) {
        try {
            return read(new ArrayBytes(bytes), what);
        } catch (IOException e) {
            throw new AssertionError(e); // an array does not fail to read
        }
    }

    /** Largest header accepted, as the format's own reader: 100 MB. */
    static final long MAX_HEADER = 100L << 20;
    /** Most values one tensor may hold: the longest float[] a JVM allocates. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    private static Contents read(Bytes in, String where) throws IOException {
        String notOne = where + " is not a safetensors file";
        String fix = "; give a model.safetensors written by charlm or the reference";
        long size = in.length();
        if (size < 8) throw new CharlmException(notOne + " (only " + size + " bytes)" + fix);
        long headerLen = in.slice(0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(); // unsigned on disk: < 0 is >= 2^63
        if (headerLen <= 0 || headerLen > MAX_HEADER) {
            throw new CharlmException(notOne + " (its header length " + Long.toUnsignedString(headerLen) + " is not between 1 and "
                    + MAX_HEADER + ")" + fix);
        }
        if (headerLen > size - 8) {
            throw new CharlmException(where + " is truncated (its header needs " + headerLen + " bytes, the file has " + (size - 8)
                    + " after the length); write it again");
        }
        String text;
        ByteBuffer raw = in.slice(8, (int) headerLen);
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(raw).toString();
        } catch (CharacterCodingException e) {
            throw new CharlmException(notOne + " (its header is not UTF-8 at byte " + (8 + raw.position()) + ")" + fix);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (CharlmException e) {
            throw new CharlmException(notOne + " (" + e.getMessage() + " of the header)" + fix);
        }
        if (!(parsed instanceof Map<?, ?> header)) throw new CharlmException(notOne + " (its header is not a JSON object)" + fix);
        long body = 8 + headerLen, dataLen = size - body;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey(); // Json's keys are strings
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new CharlmException(notOne + " (__metadata__ is not an object)" + fix);
                for (Map.Entry<?, ?> kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String v)) {
                        throw new CharlmException(notOne + " (metadata entry " + Json.brief((String) kv.getKey(), 40) + " is not a string)" + fix);
                    }
                    metadata.put((String) kv.getKey(), v);
                }
                continue;
            }
            entries.add(entry(where, notOne, fix, name, e.getValue(), dataLen));
        }
        // The format's rule: tensors tile the data section, without overlaps or gaps.
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long next = 0;
        for (Entry t : byOffset) {
            if (t.begin != next) {
                throw new CharlmException(notOne + " (tensor " + Json.brief(t.name, 40) + " starts at data byte " + t.begin
                        + (t.begin < next ? ", inside the tensor before it" : ", leaving a gap after byte " + next) + ")" + fix);
            }
            next = t.end;
        }
        if (next != dataLen) {
            throw new CharlmException(notOne + " (" + (dataLen - next) + " bytes after the last tensor belong to none)" + fix);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry t : entries) tensors.put(t.name, new Tensor(t.shape, values(in, body, t, where)));
        return new Contents(tensors, metadata);
    }

    /** One tensor's table entry, checked against the data section's length before anything is read. */
    private record Entry(String name, int[] shape, long begin, long end) {
    }

    private static Entry entry(String where, String notOne, String fix, String name, Object info, long dataLen) {
        String tensor = "tensor " + Json.brief(name, 40);
        if (!(info instanceof Map<?, ?> m) || !(m.get("shape") instanceof List<?> shapeList)
                || !(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw new CharlmException(notOne + " (" + tensor + " has no shape or no pair of data_offsets)" + fix);
        }
        if (!"F32".equals(m.get("dtype"))) {
            Object dtype = m.get("dtype");
            throw new CharlmException(where + ": " + tensor + " is " + (dtype instanceof String d ? Json.brief(d, 20) : "of no known dtype")
                    + ", charlm reads float32 (F32) only");
        }
        int[] shape = new int[shapeList.size()];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = wholeNumber(shapeList.get(k));
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new CharlmException(notOne + " (" + tensor + " has a bad shape " + numbers(shapeList)
                        + ": dimensions are whole numbers from 0 to " + Integer.MAX_VALUE + ")" + fix);
            }
            shape[k] = (int) d;
            count *= d; // both factors < 2^31 while count <= MAX_VALUES: no overflow
            if (count > MAX_VALUES) {
                throw new CharlmException(where + ": " + tensor + " has shape " + numbers(shapeList)
                        + ", more than the " + MAX_VALUES + " values one tensor can hold");
            }
        }
        long begin = wholeNumber(offsets.get(0)), end = wholeNumber(offsets.get(1));
        if (begin < 0 || end < begin) {
            throw new CharlmException(notOne + " (" + tensor + " has bad data_offsets " + numbers(offsets)
                    + ": two whole numbers, begin <= end)" + fix);
        }
        if (end - begin != 4 * count) {
            throw new CharlmException(notOne + " (" + tensor + ": data_offsets hold " + (end - begin) + " bytes, its shape "
                    + Arrays.toString(shape) + " needs " + 4 * count + ")" + fix);
        }
        if (end > dataLen) {
            throw new CharlmException(where + " is truncated (" + tensor + " ends at data byte " + end + ", the file has " + dataLen
                    + "); write it again");
        }
        return new Entry(name, shape, begin, end);
    }

    /** A list from the header for a message: whole numbers as such, the rest as JSON, cut short. */
    private static String numbers(List<?> list) {
        List<Object> shown = new ArrayList<>();
        for (Object o : list) shown.add(o instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e16 ? (Object) d.longValue() : o);
        return Json.brief(shown, 60);
    }

    /** A JSON number that is a whole number in long range, else -1. */
    private static long wholeNumber(Object o) {
        if (!(o instanceof Number n)) return -1;
        double d = n.doubleValue();
        return d == Math.rint(d) && Math.abs(d) <= 0x1p53 ? (long) d : -1;
    }

    /** A tensor's values, refused when any is NaN or infinite: such a model is broken. */
    private static float[] values(Bytes in, long body, Entry t, String where) throws IOException {
        float[] v = new float[(int) ((t.end - t.begin) / 4)];
        int chunk = 1 << 16; // floats per read
        for (int k = 0; k < v.length; k += chunk) {
            int n = Math.min(chunk, v.length - k);
            in.slice(body + t.begin + 4L * k, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v, k, n);
        }
        for (int k = 0; k < v.length; k++) {
            if (!Float.isFinite(v[k])) {
                throw new CharlmException(where + ": tensor " + Json.brief(t.name, 40) + " holds " + v[k] + " at index " + k
                        + " (shape " + Arrays.toString(t.shape) + "); a model with NaN or infinite weights is broken: "
                        + "use an earlier checkpoint or train again");
            }
        }
        return v;
    }

    /** Random access to the bytes of a file or an array. */
    private interface Bytes {
        long length() throws IOException;

        /** len bytes from position (the caller has checked they exist). */
        ByteBuffer slice(long position, int len) throws IOException;
    }

    private record ArrayBytes(byte[] bytes) implements Bytes {
        @Override
        public long length() {
            return bytes.length;
        }

        @Override
        public ByteBuffer slice(long position, int len) {
            return ByteBuffer.wrap(bytes, (int) position, len).slice();
        }
    }

    private record FileBytes(FileChannel ch) implements Bytes {
        @Override
        public long length() throws IOException {
            return ch.size();
        }

        @Override
        public ByteBuffer slice(long position, int len) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(len);
            while (b.hasRemaining()) {
                if (ch.read(b, position + b.position()) < 0) throw new IOException("the file got shorter while being read");
            }
            return b.flip();
        }
    }
}
