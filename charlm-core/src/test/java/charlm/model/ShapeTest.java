package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import org.junit.jupiter.api.Test;

/** The chapter's own check: X = arange(10).reshape(2, 5), V = 28, H = 512 gives Y (10, 28) and a (2, 512) state. */
class ShapeTest {
    @Test
    void theChaptersShapeCheck() {
        RnnModel net = new RnnModel(ModelConfig.chapter(28, 512), Kernels.get(), Workers.serial());
        net.initialize(new Rng(0));
        int[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // (2, 5)
        Tape tape = net.newTape(2, 5);
        float[] state = net.beginState(2);
        assertThat(state).hasSize(2 * 512).containsOnly(0f);
        net.forward(tape, x, state, false);
        assertThat(tape.logits()).hasSize(10 * 28);
        assertThat(state).hasSize(2 * 512);
        // Time-major rows: row t·B + b is step t of sequence b. Step 0 of sequence 1 reads token 5,
        // so its logits differ from step 0 of sequence 0 (token 0), and equal a fresh one-step run on token 5.
        float[] row1 = java.util.Arrays.copyOfRange(tape.logits(), 28, 56);
        float[] single = net.stepper().step(5);
        for (int v = 0; v < 28; v++) assertThat(row1[v]).isCloseTo(single[v], org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void initialisationFollowsTheChapter() {
        RnnModel net = new RnnModel(ModelConfig.chapter(28, 512), Kernels.get(), Workers.serial());
        net.initialize(new Rng(0));
        for (Parameters.Tensor t : net.params.tensors()) {
            float[] v = net.params.read(t, net.params.data);
            double sum = 0, sq = 0;
            for (float f : v) {
                sum += f;
                sq += (double) f * f;
            }
            if (t.name().startsWith("b_")) {
                assertThat(v).as(t.name()).containsOnly(0f);
            } else {
                assertThat(Math.sqrt(sq / v.length)).as(t.name() + " std").isBetween(0.0095, 0.0105);
                assertThat(Math.abs(sum / v.length)).as(t.name() + " mean").isLessThan(0.002);
            }
        }
        assertThat(net.params.tensor("W_hq").shape()).containsExactly(512, 28);
        assertThat(net.params.tensor("W_xh").shape()).containsExactly(28, 512);
    }
}
