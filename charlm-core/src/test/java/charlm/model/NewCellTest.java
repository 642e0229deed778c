package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.train.EpochStats;
import charlm.settings.Settings;
import charlm.train.Trainer;
import charlm.train.TrainingSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new cell is one class plus one registration: the tests' {@link MinimalGatedLayer}, once
 * registered, is found by name, trained by the ordinary trainer, checked against the double-precision
 * formula written beside it, and saved and loaded back, with nothing else in charlm told about it.
 */
class NewCellTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void register() {
        MinimalGatedLayer.register();
    }

    @Test
    void isFoundByNameAfterTheBuiltInCells() {
        assertThat(Cells.get("mgu")).isSameAs(MinimalGatedLayer.TYPE);
        assertThat(Cells.get("MGU")).isSameAs(MinimalGatedLayer.TYPE);
        assertThat(Cells.all()).startsWith(Cells.RNN, Cells.GRU, Cells.LSTM).contains(MinimalGatedLayer.TYPE);
        Cells.register(MinimalGatedLayer.TYPE); // again: nothing happens
        assertThat(Cells.all()).filteredOn(c -> c.name().equals("mgu")).hasSize(1);
    }

    @Test
    void anotherCellUnderATakenNameIsRefused() {
        CellType impostor = new CellType("gru", 1, false, MinimalGatedLayer::new);
        assertThatThrownBy(() -> Cells.register(impostor)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gru");
        assertThat(Cells.get("gru")).isSameAs(Cells.GRU);
    }

    @Test
    void trainsWithTheOrdinaryTrainer() {
        int v = 5;
        int[] tokens = new int[600];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * i + i / 7) % v; // some structure to learn
        ModelConfig c = new ModelConfig(v, 16, Activation.RELU, InputKind.ONEHOT, 0, Cells.get("mgu"), 2);
        assertThat(c.activation()).as("a gated cell keeps its own nonlinearities").isEqualTo(Activation.TANH);
        assertThat(c.stateSlots()).isEqualTo(1);
        try (Workers workers = new Workers(2)) {
            RnnModel m = new RnnModel(c, Kernels.get(), workers);
            Rng rng = new Rng(3);
            m.initialize(rng);
            assertThat(m.params.tensors()).extracting(Parameters.Tensor::name).containsExactly(
                    "l0.W_xf", "l0.W_hf", "l0.b_f", "l0.W_xh", "l0.W_hh", "l0.b_h",
                    "l1.W_xf", "l1.W_hf", "l1.b_f", "l1.W_xh", "l1.W_hh", "l1.b_h", "W_hq", "b_q");
            float[] before = m.params.data.clone();
            List<EpochStats> epochs = new ArrayList<>();
            Settings settings = TrainingSettings.book().with(TrainingSettings.BATCH_SIZE, 4).with(TrainingSettings.NUM_STEPS, 10)
                    .with(TrainingSettings.EPOCHS, 6).with(TrainingSettings.SEED, 3L).with(TrainingSettings.CELL, MinimalGatedLayer.TYPE.name());
            new Trainer(m, settings, tokens, null, rng).run(epochs::add);
            assertThat(m.params.data).isNotEqualTo(before);
            for (float p : m.params.data) assertThat(p).isFinite();
            assertThat(epochs.get(5).perplexity()).isLessThan(epochs.get(0).perplexity());
        }
    }

    @Test
    void everyGradientMatchesFiniteDifferencesOfTheFormulaWrittenInTheTest() {
        GradientCheckTest.assertEveryGradientMatchesTheOracle(
                GradientCheckTest.model(MinimalGatedLayer.TYPE, 2, Activation.TANH, InputKind.EMBEDDING, "default", 2, 21));
    }

    @Test
    void isSavedAndLoadedBackByName() throws Exception {
        Vocab vocab = Vocab.of(List.of("<unk>", " ", "a", "b", "c", "\n"));
        RnnModel m = new RnnModel(new ModelConfig(6, 8, Activation.TANH, InputKind.ONEHOT, 0, MinimalGatedLayer.TYPE, 2), Kernels.get(), Workers.serial());
        m.initialize(new Rng(4));
        Path f = dir.resolve("mgu.safetensors");
        Checkpoint.save(f, m, vocab, Tokenizer.CHARS);
        Checkpoint.Loaded back = Checkpoint.load(f, Kernels.get(), Workers.serial());
        assertThat(back.model().config).isEqualTo(m.config);
        assertThat(back.model().params.data).containsExactly(m.params.data);
    }
}
