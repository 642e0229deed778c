package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Each initialisation gives every tensor what its role calls for; dropout masks drop what they should. */
class InitializationTest {
    private static RnnModel lstm(int layers, InputKind in) {
        return new RnnModel(new ModelConfig(30, 64, Activation.TANH, in, 16, Cells.LSTM, layers), Kernels.get(), Workers.serial());
    }

    private static float[] values(RnnModel m, Parameters.Tensor t) {
        return m.params.read(t, m.params.data);
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    @Test
    void theBookIsTheDefaultAndDrawsTheSameNumbersAsBefore() {
        RnnModel a = lstm(2, InputKind.EMBEDDING), b = lstm(2, InputKind.EMBEDDING);
        a.initialize(new Rng(3));
        b.initialize(new Rng(3), Initializers.get("book"));
        assertThat(Arrays.equals(a.params.data, b.params.data)).isTrue();
        for (Parameters.Tensor t : a.params.tensors()) {
            float[] v = values(a, t);
            switch (t.role()) {
                case BIAS, FORGET_GATE_BIAS -> assertThat(maxAbs(v)).as(t.name()).isZero();
                case EMBEDDING -> assertThat(maxAbs(v)).as(t.name()).isGreaterThan(1);
                default -> assertThat(maxAbs(v)).as(t.name()).isBetween(0.01, 0.1);
            }
        }
    }

    @Test
    void uniformIsPyTorchsBoundForEveryWeightAndBias() {
        RnnModel m = lstm(2, InputKind.ONEHOT);
        m.initialize(new Rng(4), Initializers.get("uniform"));
        double bound = 1 / Math.sqrt(64);
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] v = values(m, t);
            assertThat(maxAbs(v)).as(t.name()).isLessThanOrEqualTo(bound).isGreaterThan(0.8 * bound);
        }
    }

    @Test
    void xavierScalesEachMatrixByItsFansAndLeavesBiasesAtZero() {
        RnnModel m = lstm(1, InputKind.EMBEDDING);
        m.initialize(new Rng(5), Initializers.get("xavier"));
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] v = values(m, t);
            if (t.shape().length == 1) {
                assertThat(maxAbs(v)).as(t.name()).isZero();
            } else if (t.role() != Parameters.Role.EMBEDDING) {
                double bound = Math.sqrt(6.0 / (t.shape()[0] + t.shape()[1]));
                assertThat(maxAbs(v)).as(t.name()).isLessThanOrEqualTo(bound).isGreaterThan(0.8 * bound);
            }
        }
    }

    @Test
    void orthogonalRecurrentMatricesAreOrthogonal() {
        RnnModel m = lstm(2, InputKind.ONEHOT);
        m.initialize(new Rng(6), Initializers.get("orthogonal"));
        int recurrent = 0;
        for (Parameters.Tensor t : m.params.tensors()) {
            if (t.role() != Parameters.Role.RECURRENT_WEIGHT) continue;
            recurrent++;
            float[] q = values(m, t);
            int n = t.shape()[0];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < n; k++) {
                    double dot = 0;
                    for (int j = 0; j < n; j++) dot += (double) q[i * n + j] * q[k * n + j];
                    assertThat(dot).as("%s rows %d, %d", t.name(), i, k).isCloseTo(i == k ? 1 : 0, within(1e-5));
                }
            }
        }
        assertThat(recurrent).isEqualTo(8); // four gates, two layers
    }

    @Test
    void theForgetBiasIsSetOnEveryLstmLayerAndOnNothingElse() {
        RnnModel m = lstm(2, InputKind.ONEHOT);
        m.initialize(new Rng(7));
        assertThat(Initializers.setForgetBias(m.params, 1.0)).isEqualTo(2);
        for (Parameters.Tensor t : m.params.tensors()) {
            float[] v = values(m, t);
            if (t.role() == Parameters.Role.FORGET_GATE_BIAS) for (float x : v) assertThat(x).as(t.name()).isEqualTo(1f);
            else if (t.role() == Parameters.Role.BIAS) assertThat(maxAbs(v)).as(t.name()).isZero();
        }
        RnnModel gru = new RnnModel(new ModelConfig(30, 8, Activation.TANH, InputKind.ONEHOT, 0, Cells.GRU, 1), Kernels.get(), Workers.serial());
        assertThat(Initializers.setForgetBias(gru.params, 1.0)).isZero();
        assertThat(Cells.LSTM.declares(Parameters.Role.FORGET_GATE_BIAS)).isTrue();
        assertThat(Cells.GRU.declares(Parameters.Role.FORGET_GATE_BIAS)).isFalse();
    }

    @Test
    void parameterCountsComeFromTheCellsOwnDeclarations() {
        for (CellType cell : Cells.all()) {
            for (int layers = 1; layers <= 2; layers++) {
                RnnModel m = new RnnModel(new ModelConfig(11, 9, Activation.TANH, InputKind.EMBEDDING, 4, cell, layers), Kernels.get(), Workers.serial());
                long count = 11L * 4 + cell.parameterCount(4, 9) + (layers - 1) * cell.parameterCount(9, 9) + 9L * 11 + 11;
                assertThat(count).as(cell + " x" + layers).isEqualTo(m.params.size());
            }
        }
        assertThat(Cells.LSTM.parameterCount(64, 100_000)).isEqualTo(4 * (64L * 100_000 + 100_000L * 100_000 + 100_000));
    }

    /** Dropout drops about p of each layer's outputs, the same ones for any thread count, and never outside training. */
    @Test
    void dropoutMasksDropAboutPAndDependOnlyOnTheKey() {
        float[][] masks = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers w = new Workers(threads)) {
                RnnModel m = new RnnModel(new ModelConfig(30, 128, Activation.TANH, InputKind.ONEHOT, 0, Cells.GRU, 2), Kernels.get(), w);
                m.initialize(new Rng(8));
                Tape tape = m.newTape(16, 20);
                int[] x = new int[16 * 20];
                for (int i = 0; i < x.length; i++) x[i] = i % 30;
                tape.setDropout(0.3, 42);
                m.forward(tape, x, m.beginState(16), true);
                masks[threads - 1] = tape.mask(1).clone();
                float[] trained = tape.logits().clone();
                m.forward(tape, x, m.beginState(16), false);
                float[] plain = tape.logits().clone();
                Tape fresh = m.newTape(16, 20);
                m.forward(fresh, x, m.beginState(16), false);
                assertThat(Arrays.equals(plain, fresh.logits())).as("no dropout outside training").isTrue();
                assertThat(Arrays.equals(trained, plain)).as("dropout changes a training pass").isFalse();
            }
        }
        assertThat(Arrays.equals(masks[1], masks[0])).isTrue();
        assertThat(Arrays.equals(masks[2], masks[0])).isTrue();
        long zeros = 0;
        for (float v : masks[0]) {
            if (v == 0) zeros++;
            else assertThat(v).isEqualTo(1f / 0.7f);
        }
        assertThat(zeros / (double) masks[0].length).isCloseTo(0.3, within(0.01));
    }
}
