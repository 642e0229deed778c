package charlm.io;

import charlm.CharlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format, float32 only: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range (plus "__metadata__", a map of strings), padded
 * with spaces to a multiple of 8, then the raw little-endian row-major data.
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;

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

    /** Reads a whole file; any problem is one clear CharlmException naming the file. */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new CharlmException("checkpoint " + file + " is a directory; give a .safetensors file");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CharlmException("checkpoint " + file + " does not exist; check the path given to --model");
        } catch (IOException e) {
            throw new CharlmException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        String notOne = "checkpoint " + file + " is not a safetensors file";
        if (bytes.length < 8) throw new CharlmException(notOne + " (only " + bytes.length + " bytes); give a model.safetensors written by charlm or the reference");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong();
        if (headerLen <= 0 || headerLen > MAX_HEADER) throw new CharlmException(notOne + " (bad header length); give a model.safetensors written by charlm or the reference");
        if (8 + headerLen > bytes.length) throw new CharlmException("checkpoint " + file + " is truncated (its header is cut off); write it again");
        Map<?, ?> header;
        try {
            Object parsed = Json.parse(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
            if (!(parsed instanceof Map<?, ?> m)) throw new IllegalArgumentException("header is not an object");
            header = m;
        } catch (IllegalArgumentException e) {
            throw new CharlmException(notOne + " (" + e.getMessage() + "); give a model.safetensors written by charlm or the reference");
        }
        int body = 8 + (int) headerLen;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                continue;
            }
            tensors.put(name, tensor(file, name, e.getValue(), bytes, body, notOne));
        }
        return new Contents(tensors, metadata);
    }

    private static Tensor tensor(Path file, String name, Object info, byte[] bytes, int body, String notOne) {
        if (!(info instanceof Map<?, ?> m) || !(m.get("shape") instanceof List<?> shapeList)
                || !(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw new CharlmException(notOne + " (tensor " + name + " has no shape or offsets)");
        }
        if (!"F32".equals(m.get("dtype"))) {
            throw new CharlmException("checkpoint " + file + ": tensor " + name + " is " + m.get("dtype") + ", charlm reads float32 (F32) only");
        }
        int[] shape = new int[shapeList.size()];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            if (!(shapeList.get(k) instanceof Number d) || d.doubleValue() < 0 || d.doubleValue() > Integer.MAX_VALUE) {
                throw new CharlmException(notOne + " (tensor " + name + " has a bad shape " + shapeList + ")");
            }
            shape[k] = d.intValue();
            count *= shape[k];
        }
        if (!(offsets.get(0) instanceof Number b0) || !(offsets.get(1) instanceof Number b1)) {
            throw new CharlmException(notOne + " (tensor " + name + " has bad offsets " + offsets + ")");
        }
        long begin = b0.longValue(), end = b1.longValue();
        if (end - begin != 4 * count || begin < 0 || count > Integer.MAX_VALUE) throw new CharlmException(notOne + " (tensor " + name + ": offsets do not match its shape)");
        if (body + end > bytes.length) throw new CharlmException("checkpoint " + file + " is truncated (tensor " + name + " is cut off); write it again");
        float[] values = new float[(int) count];
        ByteBuffer.wrap(bytes, body + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return new Tensor(shape, values);
    }
}
