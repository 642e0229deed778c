package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.PhaseTimes;
import charlm.kernels.Workers;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every phase a training step runs on the pool has a name (bench --profile lists them), and each
 * layer of a stack its own: no time is filed as unnamed.
 */
class PhaseNamesTest {

    private static List<String> phasesOfOneStep(ModelConfig config) {
        PhaseTimes times = new PhaseTimes();
        try (Workers workers = new Workers(2)) {
            RnnModel m = new RnnModel(config, Kernels.get(), workers);
            m.initialize(new Rng(3));
            int b = 2, t = 4;
            int[] x = new int[b * t], y = new int[b * t];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % config.vocabSize();
                y[i] = (i + 1) % config.vocabSize();
            }
            Tape tape = m.newTape(b, t);
            workers.timePhases(times);
            m.forward(tape, x, m.beginState(b), true);
            m.loss(tape, y);
            m.backward(tape, null, null);
        }
        return times.phases().stream().map(PhaseTimes.Phase::name).toList();
    }

    @Test
    void theBookModelsPhasesAreNamed() {
        assertThat(phasesOfOneStep(ModelConfig.chapter(7, 8))).containsExactlyInAnyOrder(
                "forward step", "backward step", "weight transposes", "weight gradients", "logits", "softmax cross-entropy",
                "output layer backward", "input projection and panels");
    }

    @Test
    void eachLayerOfAStackedLstmHasItsOwnNames() {
        ModelConfig config = new ModelConfig(7, 8, Activation.TANH, InputKind.EMBEDDING, 4, Cells.get("lstm"), 2);
        assertThat(phasesOfOneStep(config)).contains("l0. forward step", "l1. forward step", "l0. backward step", "l1. backward step",
                "l0. weight gradients", "l1. weight gradients", "l1. input projection and panels", "embedding gather", "embedding scatter")
                .doesNotContain(PhaseTimes.UNNAMED);
    }
}
