package charlm.train;

import charlm.CharlmException;
import charlm.data.Minibatch;
import charlm.data.Rng;
import charlm.data.Sampler;
import charlm.model.RnnModel;
import charlm.model.Tape;
import java.util.ArrayList;
import java.util.List;

/**
 * The chapter's train_epoch_ch8 / train_ch8: for each minibatch, forward, mean cross-entropy,
 * backward, global-norm clipping, SGD. With sequential partitioning the state is carried across
 * minibatches and detached at each (or, without detaching, gradients flow back through every earlier
 * minibatch of the epoch); with random sampling each minibatch starts from a fresh state.
 */
public final class Trainer {
    private final RnnModel model;
    private final TrainConfig config;
    private final Sampler sampler;
    private final int[] validation;
    private final Rng rng;
    private final Minibatch batch;
    private final float[] state;      // (B, H) carried across minibatches
    private final float[] dStateA, dStateB;
    private final List<Tape> tapes = new ArrayList<>(); // one, or the epoch's when not detaching
    private int epochsDone;
    private final ParallelSgd sgd;

    /**
     * @param tokens     the training stream
     * @param validation held-out stream for per-epoch perplexity, or null
     * @param rng        the run's generator, already used for initialisation
     */
    public Trainer(RnnModel model, TrainConfig config, int[] tokens, int[] validation, Rng rng) {
        this.model = model;
        this.config = config;
        this.sampler = config.sampling() == Sampling.RANDOM
                ? Sampler.random(tokens, config.batchSize(), config.numSteps())
                : Sampler.sequential(tokens, config.batchSize(), config.numSteps());
        this.validation = validation;
        this.rng = rng;
        this.batch = new Minibatch(config.batchSize(), config.numSteps());
        this.state = model.beginState(config.batchSize());
        this.dStateA = model.beginState(config.batchSize());
        this.dStateB = model.beginState(config.batchSize());
        tapes.add(model.newTape(config.batchSize(), config.numSteps()));
        this.sgd = new ParallelSgd(model.workers());
        model.params.zeroGrad();
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** For a resumed run: the number of epochs its checkpoint had finished. */
    public void setEpochsDone(int epochs) {
        this.epochsDone = epochs;
    }

    public Rng rng() {
        return rng;
    }

    /** Trains the remaining epochs up to config.epochs(), reporting each; returns the last epoch's stats. */
    public EpochStats run(TrainingListener listener) {
        EpochStats last = null;
        while (epochsDone < config.epochs()) {
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
        float[] params = model.params.data, grad = model.params.grad;
        int perBatch = config.batchSize() * config.numSteps();
        double lossSum = 0;
        long tokens = 0;
        java.util.Arrays.fill(state, 0f);
        while (!config.detach() && tapes.size() < batches) tapes.add(model.newTape(config.batchSize(), config.numSteps()));
        for (int k = 0; k < batches; k++) {
            sampler.fill(k, batch);
            if (config.sampling().freshStatePerBatch()) java.util.Arrays.fill(state, 0f);
            Tape tape = config.detach() ? tapes.get(0) : tapes.get(k);
            model.forward(tape, batch.x, state, true);
            double loss = model.loss(tape, batch.y);
            // The gradient is zero here: cleared at construction and by every update since.
            if (config.detach()) {
                model.backward(tape, null, null);
            } else {
                backwardThroughEpoch(k);
            }
            double norm = sgd.norm(grad);
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                throw new CharlmException("training diverged in epoch " + epoch + " (minibatch " + (k + 1) + ": loss " + loss
                        + ", gradient norm " + norm + "); clip the gradients (--clip 1) or lower the learning rate (--lr)", 3, null);
            }
            boolean clip = norm > config.clip(); // the chapter's g ← min(1, θ/‖g‖) g
            sgd.step(params, grad, config.lr(), clip ? (float) (config.clip() / norm) : 1f, clip);
            lossSum += loss * perBatch;
            tokens += perBatch;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double val = validation == null ? Double.NaN : Evaluator.perplexity(model, validation);
        epochsDone = epoch;
        return new EpochStats(epoch, Math.exp(lossSum / tokens), tokens / seconds, val, seconds);
    }

    /**
     * Without detaching, minibatch k's loss reaches back through minibatches k−1, …, 0 of this epoch
     * via the carried state: each earlier tape passes the state gradient on, adding to the weight
     * gradients on the way (computed with today's weights, on the activations it stored).
     */
    private void backwardThroughEpoch(int k) {
        float[] in = dStateA, out = dStateB;
        model.backward(tapes.get(k), null, k > 0 ? in : null, true);
        for (int j = k - 1; j >= 0; j--) {
            float[] swap = out;
            out = in;
            in = swap;
            model.backward(tapes.get(j), out, j > 0 ? in : null, false);
        }
    }
}
