package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import charlm.io.Safetensors;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.settings.Settings;
import charlm.testing.Fixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each optimizer against torch.optim on the same gradients (fixtures made by
 * make-optimizer-fixtures.py): six steps at changing rates, a matrix that takes weight decay and a bias
 * that does not, every parameter within 1e-6 of torch's (relative to max(1, |x|)), with 1 and 3 threads.
 */
class OptimizerReferenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "sgd-decay", "adam", "adam-decay", "adamw-decay", "rmsprop", "rmsprop-decay"})
    void followsTorchOptim(String name) {
        Safetensors.Contents f = Safetensors.read(Fixtures.file("optim/" + name + ".safetensors"));
        Map<String, String> meta = f.metadata();
        Map<?, ?> options = (Map<?, ?>) Json.parse(meta.get("options"));
        List<?> lrs = (List<?>) Json.parse(meta.get("lrs"));
        int steps = Integer.parseInt(meta.get("steps"));
        Settings s = TrainingSettings.book().with(TrainingSettings.OPTIMIZER, meta.get("optimizer"));
        if (options.get("betas") instanceof List<?> betas) {
            s = s.with(TrainingSettings.BETA1, ((Number) betas.get(0)).doubleValue()).with(TrainingSettings.BETA2, ((Number) betas.get(1)).doubleValue());
        }
        if (options.get("eps") instanceof Number e) s = s.with(TrainingSettings.EPS, e.doubleValue());
        if (options.get("alpha") instanceof Number a) s = s.with(TrainingSettings.RMS_ALPHA, a.doubleValue());
        if (options.get("weight_decay") instanceof Number d) s = s.with(TrainingSettings.WEIGHT_DECAY, d.doubleValue());

        for (int threads : new int[] {1, 3}) {
            Parameters p = OptimizerTest.matrixAndBias(6, 5);
            Parameters.Tensor w = p.tensor("W"), b = p.tensor("b");
            p.write(w, f.tensors().get("start.W").values(), p.data);
            p.write(b, f.tensors().get("start.b").values(), p.data);
            try (Workers workers = new Workers(threads)) {
                Optimizer opt = Optimizers.create(s, p, workers);
                double worst = 0;
                for (int t = 1; t <= steps; t++) {
                    p.write(w, f.tensors().get("grad" + t + ".W").values(), p.grad);
                    p.write(b, f.tensors().get("grad" + t + ".b").values(), p.grad);
                    opt.step(p.data, p.grad, ((Number) lrs.get(t - 1)).doubleValue(), t);
                    worst = Math.max(worst, compare(p.read(w, p.data), f.tensors().get("after" + t + ".W").values(), name + " W step " + t));
                    worst = Math.max(worst, compare(p.read(b, p.data), f.tensors().get("after" + t + ".b").values(), name + " b step " + t));
                }
                System.out.printf("%s, %d threads: worst relative difference from torch %.2e%n", name, threads, worst);
            }
        }
    }

    private static double compare(float[] ours, float[] torch, String what) {
        double worst = 0;
        for (int i = 0; i < torch.length; i++) {
            double err = Math.abs(ours[i] - torch[i]) / Math.max(1, Math.abs(torch[i]));
            worst = Math.max(worst, err);
            assertThat(err).as("%s [%d]: charlm %s, torch %s", what, i, ours[i], torch[i]).isLessThanOrEqualTo(1e-6);
        }
        return worst;
    }
}
