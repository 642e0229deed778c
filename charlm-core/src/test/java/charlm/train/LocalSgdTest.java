package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.data.Minibatch;
import charlm.data.Rng;
import charlm.data.Sampler;
import charlm.data.TokenSequence;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import charlm.model.RnnModel;
import charlm.model.Tape;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Local SGD against an oracle written out here: with H = 1, plain SGD, no clipping and the outer step
 * at rate 1 without momentum, N workers at B/N streams are one process at B whose streams are the
 * workers' side by side (the mean of the workers' mean gradients is the mean gradient of all B streams).
 */
public class LocalSgdTest {
    public static final int VOCAB = 12, WORKERS = 2, BATCH = 8, STEPS = 5, ROUNDS = 20;

    /** A text the workers' shards each hold more than 20 minibatches of, so the oracle needs no epoch's end. */
    public static int[] tokens() {
        Rng rng = new Rng(42);
        int[] t = new int[2 * 700];
        for (int i = 0; i < t.length; i++) t[i] = rng.nextInt(VOCAB);
        return t;
    }

    /** The exactness test's settings: N workers, H = 1, plain SGD without clipping, the outer step plain averaging. */
    public static Settings exactSettings() {
        return TrainingSettings.book().with(TrainingSettings.HIDDENS, 16).with(TrainingSettings.BATCH_SIZE, BATCH)
                .with(TrainingSettings.NUM_STEPS, STEPS).with(TrainingSettings.CLIP, Double.POSITIVE_INFINITY).with(TrainingSettings.LR, 0.5)
                .with(TrainingSettings.MAX_STEPS, ROUNDS).with(TrainingSettings.SEED, 7L).with(TrainingSettings.WORKERS, WORKERS)
                .with(TrainingSettings.SYNC_EVERY, 1).with(TrainingSettings.OUTER_OPTIMIZER, OuterOptimizer.SGD)
                .with(TrainingSettings.OUTER_LR, 1.0).with(TrainingSettings.OUTER_MOMENTUM, 0.0);
    }

    /** The driver: a model initialised from the run's seed, trained in rounds on engine until --max-steps. */
    public static RnnModel trainWith(Settings s, int[] tokens, Workers workers, java.util.function.Function<LocalSgd.Job, LocalSgd.Engine> engine) {
        RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), workers);
        Rng rng = new Rng(s.get(TrainingSettings.SEED));
        TrainingSettings.initialize(m, s, rng);
        try (LocalSgd.Engine e = engine.apply(new LocalSgd.Job(s, VOCAB, TokenSequence.of(tokens)))) {
            new Trainer(m, s, TokenSequence.of(tokens), null, rng, e).run(stats -> { });
        }
        return m;
    }

    /** The oracle: one process at batch B, its rows the workers' samplers side by side, stepping SGD by hand. */
    public static RnnModel sideBySide(Settings s, int[] tokens, Workers workers) {
        RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), workers);
        TrainingSettings.initialize(m, s, new Rng(s.get(TrainingSettings.SEED)));
        LocalSgd.Job job = new LocalSgd.Job(s, VOCAB, TokenSequence.of(tokens));
        int streams = BATCH / WORKERS;
        List<Sampler> samplers = new ArrayList<>();
        for (int k = 0; k < WORKERS; k++) {
            Sampler sampler = Sampler.sequential(LocalSgd.shard(job, k), streams, STEPS);
            assertThat(sampler.startEpoch(LocalSgd.workerRng(s.get(TrainingSettings.SEED), k))).isGreaterThan(ROUNDS);
            samplers.add(sampler);
        }
        Minibatch part = new Minibatch(streams, STEPS), all = new Minibatch(BATCH, STEPS);
        float[] state = m.beginState(BATCH);
        Tape tape = m.newTape(BATCH, STEPS);
        float lr = (float) (double) s.get(TrainingSettings.LR);
        for (int step = 0; step < ROUNDS; step++) {
            for (int k = 0; k < WORKERS; k++) {
                samplers.get(k).fill(step, part);
                System.arraycopy(part.x, 0, all.x, k * streams * STEPS, streams * STEPS);
                System.arraycopy(part.y, 0, all.y, k * streams * STEPS, streams * STEPS);
            }
            m.forward(tape, all.x, state, true);
            m.loss(tape, all.y);
            m.backward(tape, null, null);
            float[] x = m.params.data, g = m.params.grad;
            for (int i = 0; i < x.length; i++) x[i] -= lr * g[i];
            m.params.zeroGrad();
        }
        return m;
    }

    /** |a − b| / |b| over each tensor (Euclidean norms), the largest; the tensors must have moved for it to mean anything. */
    public static double worstRelativeDifference(Parameters a, Parameters b) {
        double worst = 0;
        for (Parameters.Tensor t : b.tensors()) {
            double diff = 0, norm = 0;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                diff += Math.pow(a.data[i] - b.data[i], 2);
                norm += Math.pow(b.data[i], 2);
            }
            worst = Math.max(worst, Math.sqrt(diff / Math.max(norm, 1e-30)));
        }
        return worst;
    }

    @Test
    void twoWorkersAtOneStepARoundAreOneProcessWithTheirStreamsSideBySide() {
        Settings s = exactSettings();
        int[] tokens = tokens();
        try (Workers w = new Workers(1)) {
            RnnModel rounds = trainWith(s, tokens, w, job -> LocalSgd.inProcess(job, Kernels.get(), w));
            RnnModel oracle = sideBySide(s, tokens, w);
            RnnModel start = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), w);
            TrainingSettings.initialize(start, s, new Rng(s.get(TrainingSettings.SEED)));
            assertThat(worstRelativeDifference(oracle.params, start.params)).as("the oracle trained").isGreaterThan(1e-2);
            assertThat(worstRelativeDifference(rounds.params, oracle.params)).isLessThan(1e-5);
        }
    }

    @Test
    void aWorkersRoundIsAPureFunctionOfTheParametersAndItsState() {
        // What lets an engine run a lost worker's round again: the same inputs give the same bits.
        Settings s = exactSettings().with(TrainingSettings.SYNC_EVERY, 3).with(TrainingSettings.OPTIMIZER, "adam").with(TrainingSettings.LR, 0.01);
        LocalSgd.Job job = new LocalSgd.Job(s, VOCAB, TokenSequence.of(tokens()));
        try (Workers w = new Workers(1)) {
            float[] params = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), w).params.data;
            LocalSgd.WorkerResult first = LocalSgd.work(job, 1, params, 3, null, Kernels.get(), w);
            LocalSgd.WorkerResult again = LocalSgd.work(job, 1, params, 3, first.state(), Kernels.get(), w);
            LocalSgd.WorkerResult againTwice = LocalSgd.work(job, 1, params, 3, first.state(), Kernels.get(), w);
            assertThat(again.delta()).isEqualTo(againTwice.delta());
            assertThat(again.state().optimizer().get("m")).isEqualTo(againTwice.state().optimizer().get("m"));
            assertThat(again.state().step()).isEqualTo(6);
            assertThat(again.delta()).isNotEqualTo(first.delta()); // the state moved on: Adam's moments, the shard's place
        }
    }

    @Test
    void theOuterStepsAreTorchsSgdWithAndWithoutNesterov() {
        // torch.optim.SGD(momentum=0.5, nesterov=...) on a parameter 1.0 with gradients 0.2 then 0.1, lr 0.7, by hand:
        // v1 = 0.2, v2 = 0.5*0.2 + 0.1 = 0.2; nesterov: x = 1 - 0.7(0.2 + 0.1) - 0.7(0.1 + 0.1) = 0.65; heavy ball: 1 - 0.7*0.2 - 0.7*0.2 = 0.72.
        for (OuterOptimizer kind : OuterOptimizer.values()) {
            OuterStep step = new OuterStep(kind, 0.5, 1);
            float[] x = {1f};
            step.step(x, new float[] {0.2f}, 0.7, 1);
            step.step(x, new float[] {0.1f}, 0.7, 2);
            assertThat((double) x[0]).isCloseTo(kind == OuterOptimizer.NESTEROV ? 0.65 : 0.72, org.assertj.core.api.Assertions.within(1e-6));
        }
    }

    @Test
    void shardsTooShortForAMinibatchAreRefusedInOneLine() {
        Settings s = exactSettings().with(TrainingSettings.WORKERS, 4);
        assertThatThrownBy(() -> LocalSgd.checkShards(new LocalSgd.Job(s, VOCAB, TokenSequence.of(new int[40]))))
                .isInstanceOf(CharlmException.class).hasMessageContaining("--workers 4 cuts the 40 training tokens into shards of 10")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> TrainingSettings.validate(exactSettings().with(TrainingSettings.WORKERS, 3)))
                .isInstanceOf(CharlmException.class).hasMessageContaining("give a multiple of --workers");
    }
}
