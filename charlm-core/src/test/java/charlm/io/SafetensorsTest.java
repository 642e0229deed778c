package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the safetensors reader says about each damaged file. The files are the fuzz test's
 * hand-made seeds (make-fuzz-seeds.py), each wrong in one way; the fuzz test only checks that the
 * message is one clear line, this test that it names the right problem.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    static byte[] seed(String name) throws IOException {
        try (InputStream in = SafetensorsTest.class.getResourceAsStream("SafetensorsFuzzTestInputs/" + name)) {
            assertThat(in).as("seed %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            length-only-seven-bytes     | only 7 bytes
            length-zero                 | header length 0 is not between 1 and 104857600
            length-2pow63-minus-1       | header length 9223372036854775807 is not
            length-2pow63               | header length 9223372036854775808 is not
            length-2pow64-minus-1       | header length 18446744073709551615 is not
            length-over-100MB           | header length 104857601 is not
            length-past-end             | truncated (its header needs 4096 bytes, the file has 19
            header-not-utf8             | header is not UTF-8 at byte 34
            header-not-an-object        | header is not a JSON object
            header-trailing-garbage     | JSON: trailing characters at offset 3 of the header
            header-deep-nesting         | nested deeper than 64 levels
            header-deep-metadata        | nested deeper than 64 levels
            header-huge-number          | number out of range
            header-long-number          | number out of range
            header-bad-escape           | bad \\u escape
            header-unpaired-surrogate   | unpaired surrogate U+D800
            header-control-char         | unescaped control character U+000A
            header-duplicate-tensor     | duplicate key "x"
            metadata-not-an-object      | __metadata__ is not an object
            metadata-value-not-a-string | metadata entry "vocab" is not a string
            dtype-f16                   | tensor "x" is "F16", charlm reads float32 (F32) only
            dtype-missing               | tensor "x" is of no known dtype
            shape-negative              | tensor "x" has a bad shape [-1,4]
            shape-fraction              | tensor "x" has a bad shape [2.5]
            shape-int-overflow          | tensor "x" has shape [65536,65536], more than the 2147483639 values
            shape-long-overflow         | more than the 2147483639 values
            shape-not-a-list            | tensor "x" has no shape
            offsets-past-end            | truncated (tensor "x" ends at data byte 16, the file has 8)
            offsets-reversed            | tensor "x" has bad data_offsets [8,4]
            offsets-huge                | tensor "x" has bad data_offsets
            offsets-negative            | tensor "x" has bad data_offsets [-4,0]
            offsets-three               | no pair of data_offsets
            offsets-overlap             | tensor "y" starts at data byte 4, inside the tensor before it
            offsets-gap                 | tensor "y" starts at data byte 8, leaving a gap after byte 4
            bytes-after-last-tensor     | 8 bytes after the last tensor belong to none
            weight-nan                  | tensor "W_hh" holds NaN at index 1 (shape [2, 2]); a model with NaN or infinite weights is broken
            weight-infinite             | tensor "b_q" holds -Infinity at index 2
            """)
    void eachDamageGetsItsOwnMessage(String seed, String expected) throws IOException {
        byte[] bytes = seed(seed);
        assertThatThrownBy(() -> Safetensors.read(bytes, "checkpoint m.safetensors")).isInstanceOf(CharlmException.class)
                .hasMessageStartingWith("checkpoint m.safetensors").hasMessageContaining(expected).hasMessageNotContaining("\n");
        // the file reader says the same, naming the file
        Path file = Files.write(dir.resolve(seed + ".safetensors"), bytes);
        assertThatThrownBy(() -> Safetensors.read(file)).isInstanceOf(CharlmException.class)
                .hasMessageStartingWith("checkpoint " + file).hasMessageContaining(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            vocab-token-two-chars     | vocabulary token 1 is "ab", not one character
            vocab-token-empty         | vocabulary token 1 is "", not one character
            vocab-token-twice         | vocabulary token "a" appears twice, at 1 and 2
            vocab-without-unk         | vocabulary starts with "a", not <unk>
            vocab-token-with-newlines | vocabulary token 1 is "a\\u000a\\u000ab"
            vocab-not-json            | damaged "vocab" metadata entry (JSON: unexpected character '<' at offset 1)
            vocab-smaller-than-tensors| tensor W_xh has shape [3, 2], expected [2, 2] for V = 2
            vocab-larger-than-tensors | tensor W_xh has shape [3, 2], expected [4, 2] for V = 4
            """)
    void aVocabularyThatDisagreesIsRefusedWhenTheModelLoads(String seed, String expected) throws IOException {
        Path file = Files.write(dir.resolve(seed + ".safetensors"), seed(seed));
        try (Workers serial = Workers.serial()) {
            assertThatThrownBy(() -> Checkpoint.load(file, Kernels.get(), serial)).isInstanceOf(CharlmException.class)
                    .hasMessageContaining(expected).hasMessageNotContaining("\n");
        }
    }

    @Test
    void theArrayReaderAndTheFileReaderReadRealCheckpointsAlike() throws IOException {
        for (String name : new String[] {"real-golden-v1-rnn", "real-golden-v1-lstm2-embed", "real-small-trained", "real-tiny-grads"}) {
            byte[] bytes = seed(name);
            Safetensors.Contents a = Safetensors.read(bytes, name), b = Safetensors.read(Files.write(dir.resolve(name), bytes));
            assertThat(a.metadata()).isEqualTo(b.metadata());
            assertThat(a.tensors().keySet()).containsExactlyElementsOf(b.tensors().keySet());
            for (String t : a.tensors().keySet()) {
                assertThat(a.tensors().get(t).shape()).isEqualTo(b.tensors().get(t).shape());
                assertThat(a.tensors().get(t).values()).isEqualTo(b.tensors().get(t).values());
            }
        }
    }

    @Test
    void writeThenReadKeepsEveryBitAndMoreThanOneReadBuffer() throws IOException {
        float[] big = new float[200_000]; // more than one 64K-float read
        for (int i = 0; i < big.length; i++) big[i] = (float) Math.sin(i);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("big", new Safetensors.Tensor(new int[] {400, 500}, big));
        tensors.put("empty", new Safetensors.Tensor(new int[] {0, 7}, new float[0]));
        tensors.put("scalar", new Safetensors.Tensor(new int[] {}, new float[] {-2.5f}));
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, tensors, Map.of("note", "line one\nline two"));
        Safetensors.Contents back = Safetensors.read(f);
        assertThat(back.tensors().keySet()).containsExactly("big", "empty", "scalar");
        assertThat(back.tensors().get("big").values()).isEqualTo(big);
        assertThat(back.tensors().get("empty").shape()).containsExactly(0, 7);
        assertThat(back.tensors().get("scalar").values()).containsExactly(-2.5f);
        assertThat(back.metadata()).containsExactly(Map.entry("note", "line one\nline two"));
    }

    @Test
    void aHugeFileIsJudgedByItsHeaderWithoutBeingRead() throws IOException {
        // 3 GB (sparse): more than one byte[] holds, so reading it whole would fail with an OutOfMemoryError
        byte[] head = seed("ok-smallest-model");
        Path f = Files.write(dir.resolve("huge.safetensors"), head);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(3L << 30);
        }
        assertThatThrownBy(() -> Safetensors.read(f)).isInstanceOf(CharlmException.class)
                .hasMessageContaining((3L << 30) - head.length + " bytes after the last tensor belong to none");
    }

    @Test
    void aTensorNameFromTheFileCannotBreakTheMessageIntoLines() {
        String header = "{\"W\\nINJECTED LINE\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        assertThatThrownBy(() -> Safetensors.read(b.array(), "checkpoint m")).isInstanceOf(CharlmException.class)
                .hasMessage("checkpoint m: tensor \"W\\nINJECTED LINE\" is \"BF16\", charlm reads float32 (F32) only");
    }
}
