package charlm.train;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.TokenSequence;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One model trained by several workers (local SGD, as in FedAvg and DiLoCo): the training text is cut
 * into --workers contiguous shards; a round hands every worker the parameters, each takes --sync-every
 * steps of the run's own optimizer on its shard with --batch-size / --workers streams (its optimizer
 * moments, generator and place in its shard carried from round to round), and the driver averages their
 * changes and applies the outer optimizer ({@link Trainer} does that part, so held-out scoring, limits
 * and checkpoints stay the run's own). A worker's round is a pure function of the parameters and its
 * state, so an engine may run it anywhere, and again after a failure, with the same bits. Leaves out
 * where the workers run: see {@link Engine}.
 */
public final class LocalSgd {
    private LocalSgd() {
    }

    /** What every engine needs: the run's settings, the vocabulary's size and the training stream to shard. */
    public record Job(Settings settings, int vocabSize, TokenSequence train) {
        public int workers() {
            return settings.get(TrainingSettings.WORKERS);
        }
    }

    /**
     * A worker's round: its parameter change start − end (P), its state to hand to its next round, its mean
     * minibatch loss, the rate its last step took (for the run's reports), and the seconds it took (to tell a
     * round's training from its exchange).
     */
    public record WorkerResult(float[] delta, TrainerState state, double loss, double lastRate, double seconds) implements Serializable {
    }

    /**
     * Runs rounds: in this process ({@link #inProcess}) or on a cluster (charlm-spark). Closing it
     * releases what it holds (a Spark context).
     */
    public interface Engine extends AutoCloseable {
        /**
         * Each worker's round from params, taking steps minibatch steps from its state (null: its first
         * round) at the rates clock gives; the results in worker order, whatever order the workers finished in.
         */
        List<WorkerResult> round(float[] params, int steps, RoundClock clock, List<TrainerState> states);

        /** Where the workers run, for the run's first line: "2 workers in this process, one after another". */
        String describe();

        /** A line on what the rounds cost, for the run's last lines; null when there is nothing to say. */
        default String summary() {
            return null;
        }

        @Override
        default void close() {
        }
    }

    /**
     * Worker k's shard: tokens [k·n/N, (k+1)·n/N) of the training stream (a view: nothing is copied, and
     * of a mapped token cache only the shard's pages are read), the one place the text is cut. Refused (one
     * line) when a shard cannot hold one minibatch of its B/N streams.
     */
    public static TokenSequence shard(Job job, int worker) {
        long n = job.train().length();
        int workers = job.workers();
        checkShards(job);
        return job.train().slice(n * worker / workers, n * (worker + 1) / workers);
    }

    /** Refuses (one line) a text too short for every worker to have a minibatch of its B/N streams (as a sampler needs). */
    public static void checkShards(Job job) {
        Settings s = job.settings();
        int workers = job.workers(), streams = s.get(TrainingSettings.BATCH_SIZE) / workers, t = s.get(TrainingSettings.NUM_STEPS);
        long need = (long) streams * t + t + 1, smallest = job.train().length() / workers;
        if (smallest < need) {
            throw new CharlmException("--workers " + workers + " cuts the " + job.train().length() + " training tokens into shards of " + smallest
                    + ", too short for one minibatch of " + streams + " streams x " + t + " steps (needs " + need + "); use fewer workers "
                    + "or more text (--max-tokens 0 for all of it)");
        }
    }

    /**
     * The settings a worker trains with: B/N streams, and none of the run's limits (the driver keeps those) nor
     * rounds of its own. It has no --time-limit of its own either: its schedule follows the run's time through the
     * {@link RoundClock} the driver sends with each round.
     */
    public static Settings workerSettings(Settings run) {
        int workers = run.get(TrainingSettings.WORKERS);
        Settings s = run.with(TrainingSettings.BATCH_SIZE, run.get(TrainingSettings.BATCH_SIZE) / workers)
                .with(TrainingSettings.WORKERS, 1)
                .with(TrainingSettings.TIME_LIMIT, null)
                .with(TrainingSettings.PATIENCE, 0)
                .with(TrainingSettings.EVAL_EVERY, 0);
        return TrainingSettings.withoutWhatDoesNotApply(s);
    }

    /**
     * Worker k's generator (its shard's offsets each epoch, its dropout masks): its own stream, not the
     * driver's, which drew the initialisation; seeded from the run's seed and k, so a run repeats bit for bit.
     */
    public static Rng workerRng(long seed, int worker) {
        return new Rng(seed ^ 0x6A09E667F3BCC909L * (worker + 1L));
    }

    /**
     * Worker k's round: a model with params, a trainer on its shard continued from state (or new), steps
     * minibatch steps at the rates clock gives, and what changed. kernels and threads are the worker's own;
     * results do not depend on them.
     */
    public static WorkerResult work(Job job, int worker, float[] params, int steps, RoundClock clock, TrainerState state, Kernels kernels,
                                    Workers threads) {
        long t0 = System.nanoTime();
        Settings s = workerSettings(job.settings());
        RnnModel model = new RnnModel(TrainingSettings.modelConfig(s, job.vocabSize()), kernels, threads);
        float[] x = model.params.data;
        System.arraycopy(params, 0, x, 0, x.length);
        TokenSequence shard = shard(job, worker);
        Trainer trainer = state == null
                ? new Trainer(model, s, shard, null, workerRng(s.get(TrainingSettings.SEED), worker))
                : Trainer.resume(model, s, shard, null, state);
        double loss = trainer.trainSteps(steps, clock);
        float[] delta = new float[x.length];
        for (int i = 0; i < x.length; i++) delta[i] = params[i] - x[i];
        return new WorkerResult(delta, trainer.state(), loss, trainer.lastRate(), (System.nanoTime() - t0) / 1e9);
    }

    /** The workers as plain calls in this process, one after another, each on the run's kernels and threads. */
    public static Engine inProcess(Job job, Kernels kernels, Workers threads) {
        checkShards(job);
        return new Engine() {
            @Override
            public List<WorkerResult> round(float[] params, int steps, RoundClock clock, List<TrainerState> states) {
                List<WorkerResult> out = new ArrayList<>();
                for (int k = 0; k < job.workers(); k++) out.add(work(job, k, params, steps, clock, states.get(k), kernels, threads));
                return out;
            }

            @Override
            public String describe() {
                return job.workers() + " workers in this process, one after another";
            }
        };
    }
}
