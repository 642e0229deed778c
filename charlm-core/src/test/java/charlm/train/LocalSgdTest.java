package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
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
            LocalSgd.WorkerResult first = LocalSgd.work(job, 1, params, 3, RoundClock.NONE, null, Kernels.get(), w);
            LocalSgd.WorkerResult again = LocalSgd.work(job, 1, params, 3, RoundClock.NONE, first.state(), Kernels.get(), w);
            LocalSgd.WorkerResult againTwice = LocalSgd.work(job, 1, params, 3, RoundClock.NONE, first.state(), Kernels.get(), w);
            assertThat(again.delta()).isEqualTo(againTwice.delta());
            assertThat(again.state().optimizer().get("m")).isEqualTo(againTwice.state().optimizer().get("m"));
            assertThat(again.state().step()).isEqualTo(6);
            assertThat(again.delta()).isNotEqualTo(first.delta()); // the state moved on: Adam's moments, the shard's place
        }
    }

    /** The rates a worker's optimizer was given, step by step: an optimizer that writes them down and changes nothing. */
    private static final List<Double> RATES = new ArrayList<>();

    @BeforeAll
    static void registerRateRecorder() {
        Optimizers.register("record-rates", (settings, params, workers) -> (x, g, lr, step) -> {
            synchronized (RATES) {
                RATES.add(lr);
            }
        });
    }

    /** The oracle: the cosine schedule of a one-process run (Trainer.rate) at the larger of its step and time progress. */
    private static double cosine(Settings s, long step, long horizon, double timeProgress) {
        double lr = s.get(TrainingSettings.LR), min = s.get(TrainingSettings.MIN_LR);
        double p = Math.max(0, Math.min(1, Math.max((double) step / horizon, timeProgress)));
        return min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * p));
    }

    @Test
    void aWorkersRatesFollowTheRoundClockItIsSent() {
        // No --max-steps: the schedule runs over 3 epochs of the shard, 3 x (700 - 1) / 4 streams / 5 steps = 102 steps.
        Settings s = exactSettings().with(TrainingSettings.MAX_STEPS, 0).with(TrainingSettings.EPOCHS, 3).with(TrainingSettings.SYNC_EVERY, 6)
                .with(TrainingSettings.OPTIMIZER, "record-rates").with(TrainingSettings.LR_SCHEDULE, "cosine").with(TrainingSettings.MIN_LR, 0.05);
        long horizon = 102;
        LocalSgd.Job job = new LocalSgd.Job(s, VOCAB, TokenSequence.of(tokens()));
        // Over the steps alone; then a time budget 30% used and 10% a step; then one nearly spent, which runs past its end.
        List<RoundClock> clocks = List.of(RoundClock.NONE, new RoundClock(0.3, 0.1), new RoundClock(0.9, 0.05));
        try (Workers w = new Workers(1)) {
            float[] params = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), w).params.data;
            TrainerState state = null;
            long step = 0;
            for (RoundClock clock : clocks) {
                synchronized (RATES) {
                    RATES.clear();
                }
                LocalSgd.WorkerResult r = LocalSgd.work(job, 1, params, 6, clock, state, Kernels.get(), w);
                List<Double> expected = new ArrayList<>();
                for (int i = 0; i < 6; i++) expected.add(cosine(s, ++step, horizon, clock.start() + i * clock.perStep()));
                synchronized (RATES) {
                    assertThat(RATES).as("the rates of a round at %s", clock).hasSize(6);
                    for (int i = 0; i < 6; i++) assertThat(RATES.get(i)).as("step %d at %s", i, clock).isCloseTo(expected.get(i), within(1e-12));
                }
                assertThat(r.lastRate()).isEqualTo(expected.get(5));
                state = r.state();
            }
            // the last round's budget ran out at its third step: from the fourth on, --min-lr exactly
            synchronized (RATES) {
                assertThat(RATES.subList(3, 6)).containsOnly(0.05);
            }
        }
        // what the clock changed: in the middle round the time's progress (0.3 to 0.8) was ahead of the steps' (7 to 12 of 102)
        assertThat(cosine(s, 12, horizon, 0.8)).isLessThan(0.2 * cosine(s, 12, horizon, 0));
    }

    /**
     * The driver's side, without waiting for a clock: a run whose --time-limit is found half used at its start
     * (its clock's origin set 30 minutes back) trains its workers at the rates of the second half of a cosine.
     * The same run without the limit, or with --max-steps (which sets the schedule's length itself), starts at the peak.
     */
    @Test
    void aTimeLimitedRunsWorkersFollowItsTime() {
        Settings s = exactSettings().with(TrainingSettings.MAX_STEPS, 0).with(TrainingSettings.EPOCHS, 3).with(TrainingSettings.SYNC_EVERY, 5)
                .with(TrainingSettings.LR_SCHEDULE, "cosine");
        double peak = s.get(TrainingSettings.LR);
        Settings limited = s.with(TrainingSettings.TIME_LIMIT, Duration.ofHours(1));
        long halfAnHourAgo = System.nanoTime() - TimeUnit.MINUTES.toNanos(30);
        List<Double> timed = ratesOfRounds(limited, halfAnHourAgo);
        assertThat(timed).hasSizeGreaterThan(3);
        // 30 of the hour's (3600 - 2) s used: progress just above 0.5, so every rate is below half the peak; the steps' progress
        // (5 to 102 of 102) overtakes the time's halfway and ends the cosine at --min-lr, 0
        assertThat(timed).allSatisfy(lr -> assertThat(lr).isLessThan(0.5 * peak));
        assertThat(timed.get(timed.size() - 1)).isZero();
        assertThat(ratesOfRounds(s, System.nanoTime()).get(0)).isGreaterThan(0.95 * peak);
        Settings byMaxSteps = limited.with(TrainingSettings.MAX_STEPS, 20);
        assertThat(ratesOfRounds(byMaxSteps, halfAnHourAgo)).isEqualTo(ratesOfRounds(s.with(TrainingSettings.MAX_STEPS, 20), System.nanoTime()));
    }

    /** The rate each round of a run in this process reports (its workers' at the round's last step), the run's time counted from origin. */
    private static List<Double> ratesOfRounds(Settings s, long origin) {
        int[] tokens = tokens();
        List<Double> rates = new ArrayList<>();
        try (Workers w = new Workers(1)) {
            RnnModel m = new RnnModel(TrainingSettings.modelConfig(s, VOCAB), Kernels.get(), w);
            Rng rng = new Rng(s.get(TrainingSettings.SEED));
            TrainingSettings.initialize(m, s, rng);
            LocalSgd.Job job = new LocalSgd.Job(s, VOCAB, TokenSequence.of(tokens));
            try (LocalSgd.Engine e = LocalSgd.inProcess(job, Kernels.get(), w)) {
                Trainer t = new Trainer(m, s, TokenSequence.of(tokens), null, rng, e);
                t.countTimeFrom(origin);
                t.run(new TrainingListener() {
                    @Override
                    public void onEpoch(EpochStats stats) {
                    }

                    @Override
                    public void onMinibatch(Progress p) {
                        rates.add(p.lr());
                    }
                });
            }
        }
        return rates;
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
    void theOuterStepIsPlainAveragingByDefaultAndNesterovAloneIsDiLoCosWholeStep() {
        Settings two = exactSettings().with(TrainingSettings.WORKERS, 2);
        Settings byDefault = two.with(TrainingSettings.OUTER_OPTIMIZER, TrainingSettings.OUTER_OPTIMIZER.defaultValue())
                .with(TrainingSettings.OUTER_LR, null).with(TrainingSettings.OUTER_MOMENTUM, null);
        assertThat(byDefault.get(TrainingSettings.OUTER_OPTIMIZER)).isEqualTo(OuterOptimizer.SGD);
        assertThat(TrainingSettings.outerLr(byDefault)).isEqualTo(1.0);
        assertThat(TrainingSettings.outerMomentum(byDefault)).isEqualTo(0.0);
        Settings diloco = byDefault.with(TrainingSettings.OUTER_OPTIMIZER, OuterOptimizer.NESTEROV);
        assertThat(TrainingSettings.outerLr(diloco)).isEqualTo(0.7);
        assertThat(TrainingSettings.outerMomentum(diloco)).isEqualTo(0.9);
        // A value given is kept whatever the optimizer, and "auto" reads back as the optimizer's own.
        assertThat(TrainingSettings.outerLr(diloco.with(TrainingSettings.OUTER_LR, 0.3))).isEqualTo(0.3);
        assertThat(TrainingSettings.outerMomentum(byDefault.with(TrainingSettings.OUTER_MOMENTUM, 0.5))).isEqualTo(0.5);
        assertThat(TrainingSettings.OUTER_LR.parse("auto")).isNull();
        assertThat(TrainingSettings.OUTER_LR.format(null)).isEqualTo("auto");
        // At rate 1 without momentum the outer step makes the model the workers' mean: x - mean(x - end) = mean(end).
        OuterStep step = new OuterStep(OuterOptimizer.SGD, TrainingSettings.outerMomentum(byDefault), 1);
        float[] x = {1f};
        step.step(x, new float[] {(0.4f + 0.2f) / 2}, TrainingSettings.outerLr(byDefault), 1); // workers ended at 0.6 and 0.8
        assertThat((double) x[0]).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-6));
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
