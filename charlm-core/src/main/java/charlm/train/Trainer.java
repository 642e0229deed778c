package charlm.train;

import charlm.CharlmException;
import charlm.data.Minibatch;
import charlm.data.Rng;
import charlm.data.Sampler;
import charlm.kernels.ArrayPasses;
import charlm.model.RnnModel;
import charlm.model.Tape;
import charlm.settings.Settings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The chapter's train_epoch_ch8 / train_ch8: for each minibatch, forward, mean cross-entropy,
 * backward, global-norm clipping, an optimizer step (SGD in the chapter), then the gradient cleared.
 * With sequential partitioning the state is carried across minibatches and detached at each (or,
 * without detaching, gradients flow back through every earlier minibatch of the epoch); with random
 * sampling each minibatch starts from a fresh state. Everything a run needs to continue exactly is in
 * {@link #state()}.
 */
public final class Trainer {
    private final RnnModel model;
    private final Settings settings;
    private final int batchSize, numSteps, epochs;
    private final Sampling sampling;
    private final boolean detach;
    private final double lr;
    private final Sampler sampler;
    private final int[] validation;
    private final Rng rng;
    private final Minibatch batch;
    private final float[] state;             // (layers, slots, B, H) carried across minibatches
    private final float[] dStateCarried, dStateScratch; // no-detach: the state gradient handed back a minibatch
    private final List<Tape> tapes = new ArrayList<>(); // one, or the epoch's when not detaching
    private final ArrayPasses passes;
    private final GradientClipping clipping;
    private final Optimizer optimizer;
    private int epochsDone;
    private long step;

    /**
     * @param settings   the run's settings (see {@link TrainingSettings}); the model was built from them
     * @param tokens     the training stream
     * @param validation held-out stream for per-epoch perplexity, or null
     * @param rng        the run's generator, already used for initialisation
     */
    public Trainer(RnnModel model, Settings settings, int[] tokens, int[] validation, Rng rng) {
        TrainingSettings.validate(settings);
        this.model = model;
        this.settings = settings;
        this.batchSize = settings.get(TrainingSettings.BATCH_SIZE);
        this.numSteps = settings.get(TrainingSettings.NUM_STEPS);
        this.epochs = settings.get(TrainingSettings.EPOCHS);
        this.sampling = settings.get(TrainingSettings.SAMPLING);
        this.detach = settings.get(TrainingSettings.DETACH);
        this.lr = settings.get(TrainingSettings.LR);
        this.sampler = sampling == Sampling.RANDOM
                ? Sampler.random(tokens, batchSize, numSteps)
                : Sampler.sequential(tokens, batchSize, numSteps);
        this.validation = validation;
        this.rng = rng;
        this.batch = new Minibatch(batchSize, numSteps);
        this.state = model.beginState(batchSize);
        this.dStateCarried = model.beginState(batchSize);
        this.dStateScratch = model.beginState(batchSize);
        tapes.add(model.newTape(batchSize, numSteps));
        this.passes = new ArrayPasses(model.workers());
        this.clipping = new GradientClipping(passes, settings.get(TrainingSettings.CLIP));
        this.optimizer = Optimizers.create(settings, model.params.size(), model.workers());
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

    /** Trains the remaining epochs up to the settings' epochs, reporting each; returns the last epoch's stats. */
    public EpochStats run(TrainingListener listener) {
        EpochStats last = null;
        while (epochsDone < epochs) {
            last = trainEpoch();
            listener.onEpoch(last);
        }
        if (last != null) listener.onEnd(last);
        return last;
    }

    /** One pass over the corpus. */
    public EpochStats trainEpoch() {
        int epoch = epochsDone + 1;
        long start = System.nanoTime();
        int batches = sampler.startEpoch(rng);
        int perBatch = batchSize * numSteps;
        double lossSum = 0;
        long tokens = 0;
        Arrays.fill(state, 0f);
        while (!detach && tapes.size() < batches) tapes.add(model.newTape(batchSize, numSteps));
        for (int k = 0; k < batches; k++) {
            double loss = trainMinibatch(epoch, k);
            lossSum += loss * perBatch;
            tokens += perBatch;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double val = validation == null ? Double.NaN : Evaluator.perplexity(model, validation);
        epochsDone = epoch;
        return new EpochStats(epoch, Math.exp(lossSum / tokens), tokens / seconds, val, seconds);
    }

    /** Minibatch k of the epoch: forward, loss, backward, clip, step, clear; returns its mean loss. */
    private double trainMinibatch(int epoch, int k) {
        float[] params = model.params.data, grad = model.params.grad;
        sampler.fill(k, batch);
        if (sampling.freshStatePerBatch()) Arrays.fill(state, 0f);
        Tape tape = detach ? tapes.get(0) : tapes.get(k);
        model.forward(tape, batch.x, state);
        double loss = model.loss(tape, batch.y);
        if (detach) {
            model.backward(tape, null, null);
        } else {
            backwardThroughEpoch(k);
        }
        double norm = clipping.norm(grad);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new CharlmException("training diverged in epoch " + epoch + " (minibatch " + (k + 1) + ": loss " + loss
                    + ", gradient norm " + norm + "); clip the gradients (--clip 1) or lower the learning rate (--lr)", 3, null);
        }
        clipping.clip(grad, norm);
        optimizer.step(params, grad, lr, ++step);
        passes.zero(grad);
        return loss;
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

    /** Where the run stands, for a checkpoint: taken at the end of an epoch. */
    public TrainerState state() {
        return new TrainerState(epochsDone, step, rng.state(), TrainerState.copy(optimizer.state()));
    }

    /** Continues from a checkpoint's state (the model's parameters were loaded with it). */
    public void restore(TrainerState s) {
        epochsDone = s.epochsDone();
        step = s.step();
        rng.setState(s.rng());
        s.copyOptimizerStateInto(optimizer.state());
    }
}
