package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.train.TrainerState;
import charlm.train.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;
    private final Workers serial = Workers.serial();
    private final Vocab vocab = Vocab.of(List.of("<unk>", " ", "a", "b", "c", "\n"));

    private RnnModel model(ModelConfig c) {
        RnnModel m = new RnnModel(c, Kernels.get(), serial);
        m.initialize(new Rng(4));
        return m;
    }

    @Test
    void roundTripKeepsEveryParameterBitTheVocabularyAndTheSettings() throws Exception {
        for (ModelConfig c : new ModelConfig[] {ModelConfig.chapter(6, 8), new ModelConfig(6, 8, Activation.RELU, InputKind.EMBEDDING, 3)}) {
            RnnModel m = model(c);
            Path f = dir.resolve("m.safetensors");
            Settings settings = TrainingSettings.book().with(TrainingSettings.TOKENIZER, Tokenizer.CHARS).with(TrainingSettings.LR, 0.25);
            float[] moment = new float[m.params.size()];
            for (int i = 0; i < moment.length; i++) moment[i] = i * 0.5f - 3;
            long[] rng = {1, -2, 3, Long.MIN_VALUE};
            Checkpoint.save(f, m, vocab, settings, TrainerState.atEpochEnd(7, 123_456_789_012L, rng, Map.of("m", moment)));
            Checkpoint.Loaded back = Checkpoint.load(f, Kernels.get(), serial);
            assertThat(back.model().config).isEqualTo(c);
            assertThat(back.model().params.data).containsExactly(m.params.data);
            assertThat(back.vocab().tokens()).isEqualTo(vocab.tokens());
            assertThat(back.tokenizer()).isEqualTo(Tokenizer.CHARS);
            assertThat(back.settings().get(TrainingSettings.LR)).isEqualTo(0.25);
            assertThat(back.settings().get(TrainingSettings.HIDDENS)).isEqualTo(8);
            assertThat(back.metadata()).containsEntry("epoch", "7").containsEntry("format_version", "2");
            assertThat(back.training().epochsDone()).isEqualTo(7);
            assertThat(back.training().step()).isEqualTo(123_456_789_012L);
            assertThat(back.training().rng()).containsExactly(rng);
            assertThat(back.training().optimizer()).containsOnlyKeys("m");
            assertThat(back.training().optimizer().get("m")).containsExactly(moment);
            assertThat(Safetensors.read(f).tensors()).containsKey("opt.m.W_hq");
        }
    }

    @Test
    void aModelWithoutTrainingStateHasNone() throws Exception {
        RnnModel m = model(ModelConfig.chapter(6, 8));
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, m, vocab, Tokenizer.LETTERS);
        assertThat(Checkpoint.load(f, Kernels.get(), serial).training()).isNull();
        assertThat(Safetensors.read(f).metadata()).doesNotContainKeys("cell", "layers", "activation", "input", "embed_dim", "tokenizer");
    }

    @Test
    void tensorsAreWrittenInTheChaptersShapesAndLayout() throws Exception {
        RnnModel m = model(ModelConfig.chapter(6, 8));
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, m, vocab, Tokenizer.LETTERS);
        Safetensors.Contents c = Safetensors.read(f);
        assertThat(c.tensors().keySet()).containsExactly("W_xh", "W_hh", "b_h", "W_hq", "b_q");
        assertThat(c.tensors().get("W_hq").shape()).containsExactly(8, 6);
        // W_hq is (H, V) row-major on disk although charlm keeps it (V, H) inside.
        float[] whq = c.tensors().get("W_hq").values();
        var t = m.params.tensor("W_hq");
        assertThat(whq[1 * 6 + 2]).isEqualTo(m.params.data[t.offset() + 2 * 8 + 1]);
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        assertThat(bytes.length).isEqualTo(8 + headerLen + 4L * m.params.size());
    }

    @Test
    void damagedFilesGetOneClearMessage() throws Exception {
        RnnModel m = model(ModelConfig.chapter(6, 8));
        Path good = dir.resolve("good.safetensors");
        Checkpoint.save(good, m, vocab, Tokenizer.LETTERS);
        byte[] bytes = Files.readAllBytes(good);

        assertThatThrownBy(() -> Checkpoint.load(dir.resolve("none.safetensors"), Kernels.get(), serial))
                .isInstanceOf(CharlmException.class).hasMessageContaining("does not exist");
        Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> Checkpoint.load(cut, Kernels.get(), serial)).hasMessageContaining("truncated");
        Path cutHeader = Files.write(dir.resolve("cuth.safetensors"), java.util.Arrays.copyOf(bytes, 40));
        assertThatThrownBy(() -> Checkpoint.load(cutHeader, Kernels.get(), serial)).hasMessageContaining("truncated");
        Path text = Files.writeString(dir.resolve("text.safetensors"), "this is not a checkpoint at all, just words");
        assertThatThrownBy(() -> Checkpoint.load(text, Kernels.get(), serial)).hasMessageContaining("not a safetensors file");
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Checkpoint.load(tiny, Kernels.get(), serial)).hasMessageContaining("not a safetensors file");

        Safetensors.Contents c = Safetensors.read(good);
        Map<String, Safetensors.Tensor> missing = new LinkedHashMap<>(c.tensors());
        missing.remove("b_h");
        Path noBias = dir.resolve("nobias.safetensors");
        Safetensors.write(noBias, missing, c.metadata());
        assertThatThrownBy(() -> Checkpoint.load(noBias, Kernels.get(), serial)).hasMessageContaining("no tensor b_h");

        Map<String, Safetensors.Tensor> wrong = new LinkedHashMap<>(c.tensors());
        wrong.put("W_xh", new Safetensors.Tensor(new int[] {5, 8}, new float[40]));
        Path badShape = dir.resolve("shape.safetensors");
        Safetensors.write(badShape, wrong, c.metadata());
        assertThatThrownBy(() -> Checkpoint.load(badShape, Kernels.get(), serial))
                .hasMessageContaining("W_xh").hasMessageContaining("[5, 8]").hasMessageContaining("[6, 8]");

        Map<String, String> noVocab = new LinkedHashMap<>(c.metadata());
        noVocab.remove("vocab");
        Path nv = dir.resolve("novocab.safetensors");
        Safetensors.write(nv, c.tensors(), noVocab);
        assertThatThrownBy(() -> Checkpoint.load(nv, Kernels.get(), serial)).hasMessageContaining("vocab");
    }

    /** Settings that describe a model far larger than the file's tensors are refused before the model is built. */
    @Test
    void aCheckpointDescribingMoreThanItHoldsIsRefusedBeforeAllocating() throws Exception {
        RnnModel m = model(ModelConfig.chapter(6, 8));
        Path good = dir.resolve("good.safetensors");
        Checkpoint.save(good, m, vocab, Tokenizer.LETTERS);
        Safetensors.Contents c = Safetensors.read(good);
        for (String settings : new String[] {"{\"layers\": 100000000}", "{\"cell\": \"lstm\", \"layers\": 3}",
                "{\"input\": \"embedding\", \"embed_dim\": 1000000000}"}) {
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.put("settings", settings);
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(c.tensors());
            if (settings.contains("embedding")) tensors.put("W_embed", new Safetensors.Tensor(new int[] {6, 2}, new float[12]));
            Path bad = dir.resolve("bad.safetensors");
            Safetensors.write(bad, tensors, meta);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Checkpoint.load(bad, Kernels.get(), serial)).isInstanceOf(CharlmException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("the file is damaged", "has no tensor l0.W_xi"));
            assertThat((System.nanoTime() - t0) / 1e9).as("refused at once, nothing of that size made").isLessThan(5);
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileWhole() throws Exception {
        RnnModel m = model(ModelConfig.chapter(6, 8));
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, m, vocab, Tokenizer.LETTERS);
        byte[] before = Files.readAllBytes(f);
        assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
            out.write(new byte[100]);
            throw new java.io.IOException("disk full (simulated)");
        })).hasMessageContaining("simulated");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("m.safetensors");
        }
    }
}
