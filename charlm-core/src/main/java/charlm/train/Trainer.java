package charlm.train;

import charlm.CharlmException;
import charlm.data.Minibatch;
import charlm.data.Rng;
import charlm.data.Sampler;
import charlm.data.TokenSequence;
import charlm.kernels.ArrayPasses;
import charlm.model.RnnModel;
import charlm.model.Tape;
import charlm.settings.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The chapter's train_epoch_ch8 / train_ch8: for each minibatch, forward, mean cross-entropy,
 * backward, global-norm clipping, an optimizer step at the schedule's rate, then the gradient cleared.
 * With sequential partitioning the state is carried across minibatches and detached at each (or,
 * without detaching, gradients flow back through every earlier minibatch of the epoch); with random
 * sampling each minibatch starts from a fresh state.
 *
 * <p>Beyond the chapter: the held-out text scored every --eval-every minibatches and at each epoch's
 * end, and the run stopped by --epochs, --max-steps, --time-limit, --patience or {@link #requestStop}.
 * Everything a run needs to continue exactly, even from the middle of an epoch, is in {@link #state()}.
 *
 * <p>With --workers N (local SGD, {@link LocalSgd}) a step of this loop is a round: the workers take up to
 * --sync-every minibatch steps each through an engine, and this trainer averages their parameter changes
 * and takes the outer optimizer's step; {@link #step()} still counts minibatches of B streams (every
 * worker's inner steps), so limits, schedules and held-out scores compare with a one-process run. A
 * worker itself is a trainer of its shard driven by {@link #trainSteps}.
 */
public final class Trainer {
    /** Why a run stopped. */
    public enum Stop { EPOCHS, MAX_STEPS, TIME_LIMIT, PATIENCE, INTERRUPTED }

    /** Divergence: windows of this many minibatches whose mean loss exceeds twice a uniform guess's and rises. */
    static final int DIVERGENCE_WINDOW = 10;
    /** A minibatch loss above this (ln of the largest double) has an infinite perplexity: the run has diverged. */
    static final double MAX_LOSS = Math.log(Double.MAX_VALUE);
    /** Seconds kept back from a time limit besides the final evaluation: the checkpoints and the plot. */
    static final double TIME_MARGIN = 2.0;
    /** How much longer than the last one the final held-out scoring is allowed to take, within a time limit. */
    private static final double EVALUATION_MARGIN = 1.2;

    private final RnnModel model;
    private final Settings settings;
    private final int batchSize, numSteps, epochs, evalEvery, patience;
    private final long maxSteps;
    private final Duration timeLimit;
    private final Sampling sampling;
    private final boolean detach;
    private final double dropout;
    private final Sampler sampler;
    private final TokenSequence validation;
    private final Evaluator.Plan heldOut;   // what of the held-out text each scoring reads (--eval-tokens)
    private final Evaluator.Scorer scorer;  // its tape and buffers, made once for every scoring of the run
    private final Rng rng;
    private final Minibatch batch;
    private final float[] state;             // (layers, slots, B, H) carried across minibatches
    private final float[] dStateCarried, dStateScratch; // no-detach: the state gradient handed back a minibatch
    private final List<Tape> tapes = new ArrayList<>(); // one, or the epoch's when not detaching
    private final ArrayPasses passes;
    private final GradientClipping clipping;
    private final Optimizer optimizer;      // the run's, or the outer optimizer when rounds are run
    private final LocalSgd.Engine rounds;   // null: one process
    private final int syncEvery;
    private List<TrainerState> workerStates; // each worker's state after the last round (null before its first)
    private final LearningRate schedule;
    private final long horizon;              // steps over which the schedule runs, when it runs over steps
    private final long horizonPerEpoch;      // the nominal minibatches of an epoch
    private final double uniformLoss;        // ln V: the loss of a uniform guess
    private volatile boolean stopRequested;
    private long clockOrigin = System.nanoTime();

    // Where the run is; all of it is in state().
    private int epochsDone, batchInEpoch, batchesInEpoch;
    private long step;
    private long[] epochStartRng;
    private double epochLossSum, epochSeconds;
    private double secondsBefore;            // wall time of the earlier parts of a resumed run
    private long epochTokens;
    private double bestValidation = Double.POSITIVE_INFINITY;
    private int evalsSinceBest;
    // Not saved: reporting and the divergence watch.
    private double lossSinceEval;
    private int batchesSinceEval;
    private double windowSum, lastWindowMean;        // the first window is compared with ln V, where a model starts
    private int windowCount;
    private double reserve = TIME_MARGIN;
    private double lastRoundSeconds;                 // with rounds: how long the last took (0 for one process)
    private int lastRoundSteps;                      // and how many steps it had (0 before the first)
    private double lastRate = Double.NaN;            // the rate of the last step taken here

    /**
     * @param settings   the run's settings (see {@link TrainingSettings}); the model was built from them
     * @param tokens     the training stream
     * @param validation held-out stream, or null
     * @param rng        the run's generator, already used for initialisation
     */
    public Trainer(RnnModel model, Settings settings, int[] tokens, int[] validation, Rng rng) {
        this(model, settings, TokenSequence.of(tokens), validation == null ? null : TokenSequence.of(validation), rng);
    }

    /** As above, over token sequences of any length (a mapped token cache, views of one). */
    public Trainer(RnnModel model, Settings settings, TokenSequence tokens, TokenSequence validation, Rng rng) {
        this(model, settings, tokens, validation, rng, null);
    }

    /**
     * A run whose steps are rounds of local SGD on rounds (settings with --workers N above 1); tokens is the
     * whole training stream, which the engine shards.
     */
    public Trainer(RnnModel model, Settings settings, TokenSequence tokens, TokenSequence validation, Rng rng, LocalSgd.Engine rounds) {
        TrainingSettings.validate(settings);
        int workers = settings.get(TrainingSettings.WORKERS);
        if ((rounds != null) != (workers > 1)) throw new IllegalArgumentException("an engine of rounds goes with --workers 2 or more, and only then");
        this.model = model;
        this.settings = settings;
        this.batchSize = settings.get(TrainingSettings.BATCH_SIZE);
        this.numSteps = settings.get(TrainingSettings.NUM_STEPS);
        this.epochs = settings.get(TrainingSettings.EPOCHS);
        this.maxSteps = settings.get(TrainingSettings.MAX_STEPS);
        this.timeLimit = settings.get(TrainingSettings.TIME_LIMIT);
        this.evalEvery = settings.get(TrainingSettings.EVAL_EVERY);
        this.patience = settings.get(TrainingSettings.PATIENCE);
        this.sampling = settings.get(TrainingSettings.SAMPLING);
        this.detach = settings.get(TrainingSettings.DETACH);
        this.dropout = settings.get(TrainingSettings.DROPOUT);
        this.sampler = sampling == Sampling.RANDOM
                ? Sampler.random(tokens, batchSize, numSteps)
                : Sampler.sequential(tokens, batchSize, numSteps);
        this.validation = validation;
        this.heldOut = validation == null ? null
                : Evaluator.plan(validation.length(), settings.get(TrainingSettings.EVAL_TOKENS), settings.get(TrainingSettings.SEED));
        this.scorer = heldOut == null ? null : new Evaluator.Scorer(model, heldOut);
        this.rng = rng;
        this.batch = new Minibatch(batchSize, numSteps);
        this.state = model.beginState(batchSize);
        this.dStateCarried = model.beginState(batchSize);
        this.dStateScratch = model.beginState(batchSize);
        tapes.add(model.newTape(batchSize, numSteps));
        this.passes = new ArrayPasses(model.workers());
        this.clipping = new GradientClipping(passes, settings.get(TrainingSettings.CLIP));
        this.rounds = rounds;
        this.syncEvery = settings.get(TrainingSettings.SYNC_EVERY);
        this.workerStates = java.util.Collections.nCopies(workers, null);
        this.optimizer = rounds == null ? Optimizers.create(settings, model.params, model.workers())
                : new OuterStep(settings.get(TrainingSettings.OUTER_OPTIMIZER), TrainingSettings.outerMomentum(settings), model.params.size());
        this.schedule = Schedules.create(settings);
        // The schedule's horizon in steps: --max-steps, else the epochs at the nominal minibatches per epoch.
        long perEpoch = Math.max(1, (tokens.length() - 1L) / batchSize / numSteps);
        this.horizonPerEpoch = perEpoch;
        this.horizon = maxSteps > 0 ? maxSteps : epochs * perEpoch;
        this.uniformLoss = Math.log(model.config.vocabSize());
        this.lastWindowMean = uniformLoss;
        model.params.zeroGrad();
    }

    public RnnModel model() {
        return model;
    }

    public Settings settings() {
        return settings;
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** Optimizer steps taken so far in the whole run. */
    public long step() {
        return step;
    }

    public Rng rng() {
        return rng;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The lowest held-out perplexity scored so far (infinity before the first). */
    public double bestValidation() {
        return bestValidation;
    }

    /** The rate the last step took (with rounds, the workers' mean at the round's last step); NaN before any. */
    public double lastRate() {
        return lastRate;
    }

    /** Counts --time-limit from this System.nanoTime() (the command's start) rather than from the trainer's making. */
    public void countTimeFrom(long nanoOrigin) {
        this.clockOrigin = nanoOrigin;
    }

    /** Asks a run to stop after the minibatch in progress (from any thread, e.g. on Ctrl-C). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Whether {@link #state()} can be taken now: always at an epoch's end; inside one only when the state is detached. */
    public boolean canSaveState() {
        return batchInEpoch == 0 || detach;
    }

    /**
     * Trains until a limit is reached, reporting each minibatch, evaluation and epoch; returns why it
     * stopped. A diverging run throws a CharlmException with exit code 3 instead.
     */
    public Stop run(TrainingListener listener) {
        if (timeLimit != null) reserve = TIME_MARGIN + expectedEvaluationSeconds();
        EpochStats last = null;
        Stop stop;
        while (true) {
            if (batchInEpoch == 0 && epochsDone >= epochs) {
                stop = Stop.EPOCHS;
                break;
            }
            if (maxSteps > 0 && step >= maxSteps) {
                stop = Stop.MAX_STEPS;
                break;
            }
            // A round cannot be cut short: one is begun only if one as long as the last still fits.
            if (timeLimit != null && secondsUsed() + lastRoundSeconds >= timeLimit.toMillis() / 1000.0 - reserve) {
                stop = Stop.TIME_LIMIT;
                break;
            }
            if (patience > 0 && evalsSinceBest >= patience) {
                stop = Stop.PATIENCE;
                break;
            }
            if (stopRequested) {
                stop = Stop.INTERRUPTED;
                break;
            }
            if (batchInEpoch == 0) beginEpoch();
            long t0 = System.nanoTime();
            int steps = rounds == null ? 1 : roundLength();
            double loss = rounds == null ? trainMinibatch(batchInEpoch, rate()) : trainRound(steps, roundClock());
            double lr = lastRate; // with rounds the workers' own, at the round's last step: the step this report is at
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (rounds != null) {
                lastRoundSeconds = seconds;
                lastRoundSteps = steps;
            }
            batchInEpoch += steps;
            epochSeconds += seconds;
            listener.onMinibatch(new Progress(epochsDone + 1, batchInEpoch, batchesInEpoch, step, loss, lr,
                    epochTokens / epochSeconds, secondsUsed(), secondsLeft()));
            boolean epochEnds = batchInEpoch == batchesInEpoch;
            // A round of several steps scores when it passes a multiple of --eval-every; one step, when it lands on one.
            if (validation != null && (epochEnds || evalEvery > 0 && step / evalEvery != (step - steps) / evalEvery)) evaluate(listener, lr);
            if (epochEnds) {
                last = finishEpoch();
                listener.onEpoch(last);
            }
        }
        listener.onEnd(last, stop);
        return stop;
    }

    /** Seconds since the command started, counting the earlier parts of a resumed run. */
    private double secondsUsed() {
        return secondsBefore + (System.nanoTime() - clockOrigin) / 1e9;
    }

    /** A guess at the seconds the run has left, for progress lines. */
    private double secondsLeft() {
        double perBatch = epochSeconds / Math.max(1, batchInEpoch);
        double left = Double.POSITIVE_INFINITY;
        if (batchesInEpoch > 0) left = ((double) (epochs - epochsDone - 1) * batchesInEpoch + batchesInEpoch - batchInEpoch) * perBatch;
        if (maxSteps > 0) left = Math.min(left, (maxSteps - step) * perBatch);
        if (timeLimit != null) left = Math.min(left, timeLimit.toMillis() / 1000.0 - secondsUsed());
        return Math.max(0, left);
    }

    /**
     * Seconds one scoring of the held-out text will take, timed on a sample of it before training: the
     * fastest of three rounds, as the first runs before the JIT has compiled the kernels and can be ten
     * times slower. Still a guess on the safe side; each real scoring replaces it ({@link #evaluate}).
     */
    private double expectedEvaluationSeconds() {
        if (validation == null) return 0;
        Evaluator.Plan probe = heldOut.probe(1_000, scorer.rows());
        double perToken = Double.POSITIVE_INFINITY;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            scorer.perplexity(validation, probe);
            perToken = Math.min(perToken, (System.nanoTime() - t0) / 1e9 / probe.total());
        }
        return EVALUATION_MARGIN * perToken * heldOut.total();
    }

    /**
     * The rate for the next step, from the schedule: over the steps (--max-steps, else the epochs), or,
     * with a time limit and no --max-steps, over the time or the epochs, whichever will run out first.
     */
    private double rate() {
        return rate(timeProgress());
    }

    /**
     * The rate for the next step when timeProgress of the time budget is used: the schedule's progress is
     * the larger of the steps' and the time's (0 where the time does not count), clamped to [0, 1].
     */
    private double rate(double timeProgress) {
        long next = step + 1;
        int warmup = settings.get(TrainingSettings.WARMUP_STEPS);
        double progress = horizon > warmup ? (double) (next - warmup) / (horizon - warmup) : 1;
        return schedule.at(next, Math.max(0, Math.min(1, Math.max(progress, timeProgress))), epochsDone + 1);
    }

    /** Whether the schedule runs over --time-limit: a limit and no --max-steps (which sets the length itself). */
    private boolean scheduleFollowsTime() {
        return timeLimit != null && maxSteps == 0;
    }

    /** The seconds the schedule spreads over: the limit less what the final scoring and the files keep back. */
    private double budget() {
        return timeLimit.toMillis() / 1000.0 - reserve;
    }

    /** The share of the time budget used now, where the schedule follows the time (else 0: the steps alone count). */
    private double timeProgress() {
        if (!scheduleFollowsTime()) return 0;
        double budget = budget();
        return budget > 0 ? secondsUsed() / budget : 1;
    }

    /**
     * What the workers of the next round are told of the time: the share used now, and per step the share
     * the last round took per step (nothing before the first round, or the first after a resume); the
     * workers cannot read the clock themselves without their rounds depending on when they run.
     */
    private RoundClock roundClock() {
        if (!scheduleFollowsTime()) return RoundClock.NONE;
        double budget = budget();
        double perStep = lastRoundSteps == 0 || budget <= 0 ? 0 : lastRoundSeconds / lastRoundSteps / budget;
        return new RoundClock(timeProgress(), perStep);
    }

    private void beginEpoch() {
        epochStartRng = rng.state();
        // With rounds the workers draw their own shards' offsets; the run's epoch is the minibatches of B
        // streams a one-process epoch has on average, a unit for metrics and limits.
        batchesInEpoch = rounds == null ? sampler.startEpoch(rng) : (int) Math.max(1, horizonPerEpoch);
        Arrays.fill(state, 0f);
        epochLossSum = 0;
        epochTokens = 0;
        epochSeconds = 0;
        while (!detach && tapes.size() < batchesInEpoch) tapes.add(model.newTape(batchSize, numSteps));
    }

    private EpochStats finishEpoch() {
        epochsDone++;
        batchInEpoch = 0;
        double val = validation == null ? Double.NaN : lastValidation;
        return new EpochStats(epochsDone, Math.exp(epochLossSum / epochTokens), epochTokens / epochSeconds, val, epochSeconds);
    }

    private double lastValidation = Double.NaN;
    private long lastEvaluationStep = -1;

    /** Whether the held-out text was scored at the current step (false before any scoring in this process). */
    public boolean scoredAtCurrentStep() {
        return lastEvaluationStep == step;
    }

    /** What each scoring of the held-out text reads, in words (null without one). */
    public String heldOutDescription() {
        return heldOut == null ? null : heldOut.description();
    }

    /** Scores the held-out text now (a run stopped inside an epoch), as --eval-every would. */
    public void evaluateNow(TrainingListener listener) {
        if (validation == null) throw new IllegalStateException("no held-out text");
        evaluate(listener, rate());
    }

    private void evaluate(TrainingListener listener, double lr) {
        listener.onEvaluationStart();
        long t0 = System.nanoTime();
        double val = scorer.perplexity(validation, heldOut);
        boolean best = val < bestValidation;
        if (best) {
            bestValidation = val;
            evalsSinceBest = 0;
        } else {
            evalsSinceBest++;
        }
        lastValidation = val;
        lastEvaluationStep = step;
        double trainLoss = batchesSinceEval > 0 ? lossSinceEval / batchesSinceEval : Double.NaN;
        lossSinceEval = 0;
        batchesSinceEval = 0;
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (timeLimit != null) reserve = TIME_MARGIN + EVALUATION_MARGIN * seconds; // the final scoring will take about as long
        // Before an epoch has begun (a run stopped before its first minibatch) no part of one is done.
        double epochs = batchesInEpoch == 0 ? epochsDone : epochsDone + (double) batchInEpoch / batchesInEpoch;
        listener.onEvaluation(new Evaluation(step, epochs, (long) step * batchSize * numSteps,
                trainLoss, lr, val, best, seconds, heldOut.total()));
    }

    /** Minibatch k of the epoch: forward, loss, backward, clip, step, clear; returns its mean loss. */
    private double trainMinibatch(int k, double lr) {
        float[] params = model.params.data, grad = model.params.grad;
        sampler.fill(k, batch);
        if (sampling.freshStatePerBatch()) Arrays.fill(state, 0f);
        Tape tape = detach ? tapes.get(0) : tapes.get(k);
        if (dropout > 0) tape.setDropout(dropout, rng.nextLong()); // no draw without dropout: the chapter's runs stay as they were
        model.forward(tape, batch.x, state, true);
        double loss = model.loss(tape, batch.y);
        if (detach) {
            model.backward(tape, null, null);
        } else {
            backwardThroughEpoch(k);
        }
        double norm = clipping.norm(grad);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw diverged(k, "loss " + loss + ", gradient norm " + norm);
        }
        watchForDivergence(k, loss);
        clipping.clip(grad, norm);
        lastRate = lr;
        optimizer.step(params, grad, lr, ++step);
        passes.zero(grad);
        int tokens = batchSize * numSteps;
        epochLossSum += loss * tokens;
        epochTokens += tokens;
        lossSinceEval += loss;
        batchesSinceEval++;
        return loss;
    }

    /**
     * A worker's part of a round of local SGD: the next n minibatches, across an epoch's end where one
     * comes, with none of the run's limits, scores or reports (the driver has those). Step i takes the
     * rate a one-process run would at clock.at(i) of its time budget. Returns their mean loss.
     */
    public double trainSteps(int n, RoundClock clock) {
        if (rounds != null) throw new IllegalStateException("a worker's trainer runs no rounds of its own");
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (batchInEpoch == 0) beginEpoch();
            sum += trainMinibatch(batchInEpoch, rate(clock.at(i)));
            if (++batchInEpoch == batchesInEpoch) {
                epochsDone++;
                batchInEpoch = 0;
            }
        }
        return sum / n;
    }

    /** The steps of the next round: --sync-every, or fewer where the epoch or --max-steps ends sooner. */
    private int roundLength() {
        long left = batchesInEpoch - batchInEpoch;
        if (maxSteps > 0) left = Math.min(left, maxSteps - step);
        return (int) Math.min(syncEvery, left);
    }

    /**
     * One round: every worker takes steps minibatch steps from the parameters, its rates following clock;
     * their changes are summed in worker order (so the bits do not depend on which worker finished first)
     * and averaged, and the outer optimizer steps with that mean as its gradient. Returns the workers' mean
     * loss; {@link #lastRate} becomes their mean rate at the round's last step.
     */
    private double trainRound(int steps, RoundClock clock) {
        float[] params = model.params.data, mean = model.params.grad;
        List<LocalSgd.WorkerResult> results = rounds.round(params, steps, clock, workerStates);
        List<TrainerState> states = new ArrayList<>();
        double loss = 0, rate = 0;
        for (LocalSgd.WorkerResult r : results) {
            float[] d = r.delta();
            for (int i = 0; i < mean.length; i++) mean[i] += d[i];
            states.add(r.state());
            loss += r.loss();
            rate += r.lastRate();
        }
        float n = results.size();
        for (int i = 0; i < mean.length; i++) mean[i] /= n;
        loss /= results.size();
        lastRate = rate / results.size();
        if (!Double.isFinite(loss)) throw diverged(batchInEpoch, "the workers' mean loss " + loss);
        watchForDivergence(batchInEpoch, loss);
        step += steps;
        optimizer.step(params, mean, TrainingSettings.outerLr(settings), step);
        passes.zero(mean);
        workerStates = List.copyOf(states);
        long tokens = (long) batchSize * numSteps * steps;
        epochLossSum += loss * tokens;
        epochTokens += tokens;
        lossSinceEval += loss;
        batchesSinceEval++;
        return loss;
    }

    /**
     * A loss can grow without bound and stay finite (tanh at a rate far too high reaches perplexities of
     * 10^100): the run has diverged when the mean loss of a window of minibatches is above twice a uniform
     * guess's (2 ln V) and above the previous window's.
     */
    private void watchForDivergence(int k, double loss) {
        if (loss > MAX_LOSS) {
            throw diverged(k, String.format(java.util.Locale.ROOT, "loss %.4g, a perplexity beyond what a double holds", loss));
        }
        windowSum += loss;
        if (++windowCount < DIVERGENCE_WINDOW) return;
        double mean = windowSum / windowCount;
        windowSum = 0;
        windowCount = 0;
        if (mean > 2 * uniformLoss && mean > lastWindowMean) {
            throw diverged(k, String.format(java.util.Locale.ROOT, "mean loss %.1f over the last %d minibatches, above %.2f "
                    + "(twice a uniform guess's ln V) and rising", mean, DIVERGENCE_WINDOW, 2 * uniformLoss));
        }
        lastWindowMean = mean;
    }

    private CharlmException diverged(int k, String what) {
        double theta = settings.get(TrainingSettings.CLIP);
        String advice = Double.isInfinite(theta)
                ? "clip the gradients (--clip 1) or lower the learning rate (--lr)"
                : "lower the learning rate (--lr, now " + TrainingSettings.LR.type().format(settings.get(TrainingSettings.LR))
                        + ") or clip harder (--clip below " + TrainingSettings.CLIP.type().format(theta) + ")";
        return new CharlmException("training diverged in epoch " + (epochsDone + 1) + " (minibatch " + (k + 1) + ": " + what + "); " + advice,
                3, null);
    }

    /**
     * Without detaching, minibatch k's loss reaches back through minibatches k−1, …, 0 of this epoch
     * via the carried state: each earlier tape passes the state gradient on, adding to the weight
     * gradients on the way (computed with today's weights, on the activations it stored).
     */
    private void backwardThroughEpoch(int k) {
        float[] in = dStateCarried, out = dStateScratch;
        model.backward(tapes.get(k), null, k > 0 ? in : null, true);
        for (int j = k - 1; j >= 0; j--) {
            float[] swap = out;
            out = in;
            in = swap;
            model.backward(tapes.get(j), out, j > 0 ? in : null, false);
        }
    }

    /** Where the run stands, for a checkpoint. Inside an epoch only when {@link #canSaveState()}. */
    public TrainerState state() {
        if (!canSaveState()) throw new IllegalStateException("without detaching, a run can be saved at an epoch's end only");
        return new TrainerState(epochsDone, batchInEpoch, step, rng.state(), batchInEpoch == 0 ? null : epochStartRng.clone(),
                batchInEpoch == 0 ? null : state.clone(), epochLossSum, epochTokens, epochSeconds, secondsUsed(), bestValidation,
                evalsSinceBest, TrainerState.copy(optimizer.state()), workerStates.stream().anyMatch(java.util.Objects::isNull) ? List.of() : workerStates);
    }

    /**
     * A run continued from a checkpoint: the model as loaded with it (parameters), the settings it
     * continues with, and the saved state, whose generator, step, epoch position, carried state and
     * optimizer moments the trainer takes over. Continues bit for bit as if the run had never stopped.
     */
    public static Trainer resume(RnnModel model, Settings settings, TokenSequence tokens, TokenSequence validation, TrainerState saved) {
        return resume(model, settings, tokens, validation, saved, null);
    }

    /** The same for a run of local SGD, whose rounds continue on rounds with each worker's saved state. */
    public static Trainer resume(RnnModel model, Settings settings, TokenSequence tokens, TokenSequence validation, TrainerState saved,
                                 LocalSgd.Engine rounds) {
        Trainer t = new Trainer(model, settings, tokens, validation, Rng.fromState(saved.rng()), rounds);
        t.restore(saved);
        return t;
    }

    /** Takes over a checkpoint's state (the model's parameters were loaded with it). */
    private void restore(TrainerState s) {
        epochsDone = s.epochsDone();
        step = s.step();
        if (s.batchInEpoch() > 0) {
            rng.setState(s.epochStartRng());
            beginEpoch(); // the same offset and order as the interrupted epoch drew
            if (s.carried().length != state.length) throw new IllegalArgumentException("carried state of the wrong size");
            System.arraycopy(s.carried(), 0, state, 0, state.length);
            batchInEpoch = s.batchInEpoch();
            epochLossSum = s.epochLossSum();
            epochTokens = s.epochTokens();
            epochSeconds = s.epochSeconds();
        }
        rng.setState(s.rng());
        secondsBefore = s.seconds();
        bestValidation = s.bestValidation();
        evalsSinceBest = s.evalsSinceBest();
        s.copyOptimizerStateInto(optimizer.state());
        if (!s.workers().isEmpty()) {
            if (s.workers().size() != workerStates.size()) {
                throw new IllegalArgumentException("the saved state has " + s.workers().size() + " workers, the run " + workerStates.size());
            }
            workerStates = s.workers();
        }
    }
}
