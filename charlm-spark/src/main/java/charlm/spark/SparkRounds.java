package charlm.spark;

import charlm.CharlmException;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.TrainingCluster;
import charlm.data.TokenCache;
import charlm.data.TokenSequence;
import charlm.settings.Settings;
import charlm.train.LocalSgd;
import charlm.train.RoundClock;
import charlm.train.TrainerState;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

/**
 * {@code train --spark MASTER --workers N}: local SGD's rounds on Spark. The training stream is broadcast
 * once (each executor keeps one copy and cuts its worker's shard from it); each round broadcasts the
 * parameters and runs one stage of N tasks, task k being worker k's round with its state shipped in and
 * back, and the driver collects the results in worker order.
 *
 * <p>Why a plain stage and collect rather than treeAggregate or a barrier stage: a worker hands back its
 * own state (optimizer moments, generator, place in its shard) besides its change, which no sum can carry;
 * Spark's aggregate merges the tasks' results in the order they finish, so a sum of floats there would change
 * its bits from run to run, while the driver's sum in worker order does not; and since a worker's round is a
 * pure function of the broadcast parameters and its state, a lost task is simply run again (with the same
 * bits), where a barrier stage would restart every worker. The cost: each round ships every worker's
 * optimizer state both ways (for Adam, twice the parameters), on top of its parameter change.
 */
public final class SparkRounds implements TrainingCluster {
    /**
     * Test-only, read on the driver: "R:K" kills the executor JVM running worker K's first attempt in round R
     * (counted from 1 in this process); never in local mode, whose executor is the driver.
     */
    static final String FAULT_PROPERTY = "charlm.test.haltWorker";

    @Override
    public LocalSgd.Engine connect(String master, LocalSgd.Job job) {
        SparkSweep.checkMaster(master, "train");
        if (master.startsWith("spark://")) checkReachable(master);
        SparkConf conf = new SparkConf();
        if (!master.equals(conf.get("spark.master", null))) conf.setMaster(master);
        if (!conf.contains("spark.app.name")) conf.setAppName("charlm train, " + job.workers() + " workers");
        conf.set("spark.task.cpus", "1"); // a worker trains on one thread: the workers are the parallelism
        conf.set("spark.speculation", "false");
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (Exception e) {
            throw new CharlmException("cannot start Spark with master " + master + " (" + SparkSweep.firstLine(e) + ")", e);
        }
        // A text held in memory travels to the executors once, as one broadcast array. A text read from its token
        // cache does not travel at all: each executor maps the cache at the same path (so it must be on a file system
        // every machine reaches, or at the same path on each) and reads only its worker's shard.
        TokenCache.Region region = job.train().region().orElse(null);
        Broadcast<int[]> train = region == null ? sc.broadcast(job.train().toArray()) : null;
        String settings = Json.write(job.settings().toJson());
        int vocab = job.vocabSize(), workers = job.workers();
        String fault = System.getProperty(FAULT_PROPERTY);
        return new LocalSgd.Engine() {
            private int rounds, rerun; // rerun: tasks Spark ran again after losing their first attempt (an executor lost)
            private double roundSeconds, trainingSeconds; // each round's wall time on the driver; its slowest worker's

            @Override
            public List<LocalSgd.WorkerResult> round(float[] params, int steps, RoundClock clock, List<TrainerState> states) {
                long t0 = System.nanoTime();
                Broadcast<float[]> start = sc.broadcast(params.clone());
                rounds++;
                List<WorkerTask> tasks = new ArrayList<>();
                for (int k = 0; k < workers; k++) tasks.add(new WorkerTask(k, steps, clock, states.get(k), (rounds + ":" + k).equals(fault)));
                List<Outcome> outcomes;
                try {
                    // n elements in n slices: partition k holds worker k, and collect keeps the partitions' order.
                    outcomes = sc.parallelize(tasks, workers).map(new RunWorker(settings, vocab, train, region, start)).collect();
                } catch (Exception e) { // SparkException is a checked exception that Scala does not declare
                    throw new CharlmException("a round of local SGD failed on Spark (" + SparkSweep.firstLine(e) + ")", 1, e);
                } finally {
                    start.destroy();
                }
                List<LocalSgd.WorkerResult> results = new ArrayList<>();
                double slowest = 0;
                for (Outcome o : outcomes) {
                    if (o.error() != null) throw new CharlmException(o.error(), o.exitCode(), null);
                    results.add(o.result());
                    if (o.attempt() > 0) rerun++;
                    slowest = Math.max(slowest, o.result().seconds());
                }
                roundSeconds += (System.nanoTime() - t0) / 1e9;
                trainingSeconds += slowest;
                return results;
            }

            @Override
            public String describe() {
                return workers + " workers on Spark " + master + ", one task each a round; "
                        + (region == null ? "the training text sent to each executor once" : "each executor reads its shards from " + region.path());
            }

            @Override
            public String summary() {
                if (rounds == 0) return null;
                String line = String.format(java.util.Locale.ROOT, "%d rounds on Spark, %.3f s each; %.1f%% of a round outside its slowest "
                        + "worker's training (broadcast, scheduling, shipping the states and changes)", rounds, roundSeconds / rounds,
                        100 * (1 - trainingSeconds / roundSeconds));
                // A task run again is the same pure function of the same inputs: the run's bits do not change, but a user should know.
                if (rerun > 0) line += "; " + rerun + (rerun == 1 ? " worker's round was" : " workers' rounds were") + " run again after a lost task";
                return line;
            }

            @Override
            public void close() {
                sc.stop();
            }
        };
    }

    /** A standalone master that does not answer would leave Spark retrying for a minute; one connection attempt says so at once. */
    private static void checkReachable(String master) {
        String first = master.substring("spark://".length()).split(",")[0];
        URI uri = URI.create("spark://" + first);
        int port = uri.getPort() < 0 ? 7077 : uri.getPort();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), 5_000);
        } catch (IOException | IllegalArgumentException e) {
            throw new CharlmException("cannot reach the Spark master " + master + " (" + e.getMessage() + "); check the host and port, and "
                    + "that the master is running");
        }
    }

    /** Worker k's part of a round: with the round's clock in it, a task run again takes the same rates (a worker reads no clock). */
    record WorkerTask(int worker, int steps, RoundClock clock, TrainerState state, boolean haltFirstAttempt) implements Serializable {
    }

    /**
     * What a task hands back: the worker's result, or the one line (and exit code) of a run that cannot go on, such as a divergence;
     * and which attempt of the task it was (0 unless Spark ran it again).
     */
    record Outcome(LocalSgd.WorkerResult result, String error, int exitCode, int attempt) implements Serializable {
    }

    /** On an executor: the settings read back from the driver's JSON, the worker's round on one thread. */
    private static final class RunWorker implements Function<WorkerTask, Outcome> {
        private static final long serialVersionUID = 1L;
        /** This executor's maps of token caches, made by its first task that needs one, read by all. */
        private static final Map<TokenCache.Region, TokenSequence> MAPPED = new ConcurrentHashMap<>();
        private final String settingsJson;
        private final int vocab;
        private final Broadcast<int[]> train;     // the training stream, or null when region says where to read it
        private final TokenCache.Region region;
        private final Broadcast<float[]> start;

        RunWorker(String settingsJson, int vocab, Broadcast<int[]> train, TokenCache.Region region, Broadcast<float[]> start) {
            this.settingsJson = settingsJson;
            this.vocab = vocab;
            this.train = train;
            this.region = region;
            this.start = start;
        }

        @Override
        public Outcome call(WorkerTask task) {
            int attempt = TaskContext.get().attemptNumber();
            if (task.haltFirstAttempt() && attempt == 0) Runtime.getRuntime().halt(137);
            Settings s = TrainingSettings.book().withJson((Map<?, ?>) Json.parse(settingsJson), "the driver's settings");
            try (Workers one = new Workers(1)) {
                TokenSequence tokens = region == null ? TokenSequence.of(train.value()) : MAPPED.computeIfAbsent(region, TokenCache::map);
                LocalSgd.Job job = new LocalSgd.Job(s, vocab, tokens);
                return new Outcome(LocalSgd.work(job, task.worker(), start.value(), task.steps(), task.clock(), task.state(), Kernels.get(), one), null, 0, attempt);
            } catch (CharlmException e) {
                return new Outcome(null, e.getMessage(), e.exitCode(), attempt);
            }
        }
    }
}
