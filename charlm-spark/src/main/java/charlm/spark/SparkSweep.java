package charlm.spark;

import charlm.CharlmException;
import charlm.sweep.SweepEngine;
import charlm.sweep.SweepFolder;
import charlm.sweep.SweepPlan;
import charlm.sweep.SweepTables;
import charlm.sweep.SweepTrial;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * A sweep on Apache Spark: each pending trial is one task, which trains the trial through
 * {@link SweepTrial#run} into the sweep folder (a local path every executor sees, or a Hadoop file
 * system URI). Spark retries a failed task (an exception, a lost executor) up to spark.task.maxFailures
 * times, and the retry resumes from the trial's last checkpoint; speculation stays off, so a trial never
 * has two live attempts. Each task reserves spark.task.cpus = the trials' --threads. The texts are read
 * on the driver and shipped with the job, so executors need no copy of them.
 * Leaves out training one model over several machines: charlm's models are too small for that to pay.
 */
public final class SparkSweep implements SweepEngine.Cluster {
    /** The master URLs Spark itself parses (SparkContext.createTaskScheduler), minus the removed Mesos. */
    private static final Pattern MASTER = Pattern.compile("local(\\[(\\*|[1-9][0-9]*)(\\s*,\\s*[1-9][0-9]*)?])?"
            + "|local-cluster\\[\\s*[1-9][0-9]*\\s*,\\s*[1-9][0-9]*\\s*,\\s*[1-9][0-9]*\\s*]|spark://\\S+|yarn|k8s://\\S+");

    /** Test-only: "TRIAL" (or "TRIAL:halt") makes the first attempt of that trial fail right after its first checkpoint. */
    static final String FAULT_PROPERTY = "charlm.test.failAfterCheckpoint";

    @Override
    public SweepEngine connect(String master, SweepPlan plan) {
        check(master, plan);
        return new SweepEngine() {
            @Override
            public String how() {
                return " on Spark " + master;
            }

            @Override
            public Map<Integer, Map<?, ?>> run(SweepFolder folder, String gridJson, SweepPlan plan, List<SweepPlan.Trial> pending, PrintWriter out)
                    throws IOException {
                return SparkSweep.run(master, folder, gridJson, plan, pending, out);
            }
        };
    }

    private static void check(String master, SweepPlan plan) {
        checkMaster(master, "sweep");
        for (SweepPlan.Trial t : plan.trials()) {
            if (t.settings().get(TrainingSettings.THREADS) == 0) {
                throw new CharlmException("--threads 0 (automatic) cannot be used with --spark: give each trial's thread count, which each task "
                        + "reserves as spark.task.cpus");
            }
        }
    }

    /** Refuses (one line) a JVM without Spark, or a master that is not a Spark master URL; command is the one that asked. */
    static void checkMaster(String master, String command) {
        try {
            Class.forName("org.apache.spark.SparkContext", false, SparkSweep.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new CharlmException("--spark needs Spark on the class path: run ./charlm " + command + " ... --spark MASTER, or spark-submit charlm-spark.jar");
        }
        if (!MASTER.matcher(master).matches()) {
            throw new CharlmException("--spark " + master + " is not a Spark master URL; give local[N], local[N,F] (F attempts per task), "
                    + "local-cluster[W,C,M], spark://HOST:PORT, yarn or k8s://URL");
        }
    }

    private static Map<Integer, Map<?, ?>> run(String master, SweepFolder folder, String gridJson, SweepPlan plan, List<SweepPlan.Trial> pending,
            PrintWriter out) throws IOException {
        Map<Integer, Map<?, ?>> results = new TreeMap<>();
        if (pending.isEmpty()) return results;
        if (!master.startsWith("local") && !(folder instanceof HadoopSweepFolder)) {
            say(out, "note: --out " + folder.location() + " is a local path: every executor must see it at that path (a shared mount); "
                    + "otherwise give an hdfs://, s3a://, ... URI");
        }
        int cpus = 1;
        for (SweepPlan.Trial t : pending) cpus = Math.max(cpus, t.settings().get(TrainingSettings.THREADS));
        HashMap<String, TrialTask.ShippedText> texts = new HashMap<>();
        for (Map.Entry<Path, Path> e : SweepTrial.texts(plan).entrySet()) {
            texts.put(TrialTask.textKey(e.getKey()), new TrialTask.ShippedText(e.getValue().toString(), Files.readAllBytes(e.getValue())));
        }

        SparkConf conf = new SparkConf();
        if (!master.equals(conf.get("spark.master", null))) conf.setMaster(master);
        if (!conf.contains("spark.app.name")) conf.setAppName("charlm sweep " + folder.location());
        conf.set("spark.task.cpus", Integer.toString(cpus));
        conf.set("spark.speculation", "false");
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (Exception e) {
            throw new CharlmException("cannot start Spark with master " + master + " (" + firstLine(e) + ")", e);
        }
        Failures failures = new Failures(pending, out);
        try {
            sc.sc().addSparkListener(failures);
            if (sc.sc().uiWebUrl().isDefined()) say(out, "Spark UI: " + sc.sc().uiWebUrl().get());
            say(out, String.format("%d trials to run as %d tasks of %d cpu%s each", pending.size(), pending.size(), cpus, cpus == 1 ? "" : "s"));
            Broadcast<HashMap<String, TrialTask.ShippedText>> shipped = sc.broadcast(texts);
            List<Integer> indices = new ArrayList<>();
            for (SweepPlan.Trial t : pending) indices.add(t.index());
            List<String> names = new ArrayList<>();
            for (SweepPlan.Trial t : pending) names.add(t.name());
            TrialTask task = new TrialTask(gridJson, new TrialTask.FolderRef(folder), shipped, names, TrialTask.Fault.fromProperty(System.getProperty(FAULT_PROPERTY)));
            // One partition per trial, in the grid's order: partition k is pending.get(k).
            JavaRDD<Integer> trials = sc.parallelize(indices, indices.size());
            List<TrialTask.Outcome> outcomes = new ArrayList<>();
            sc.sc().runJob(trials.rdd(), new RunTrial(task), new OnResult(out, outcomes), ClassTag$.MODULE$.apply(TrialTask.Outcome.class));
            for (TrialTask.Outcome o : outcomes) {
                if (o.error() != null) throw new CharlmException(o.error());
                results.put(o.index(), SweepTables.parseResult(o.resultJson(), folder.location() + "/" + o.trial() + "/" + SweepTrial.RESULT));
            }
        } catch (CharlmException e) {
            throw e;
        } catch (Exception e) { // SparkException is a checked exception that Scala does not declare
            String trial = failures.lastFailed();
            throw new CharlmException((trial == null ? "the sweep" : "trial " + trial) + " failed on Spark (" + firstLine(e) + "); the finished "
                    + "trials are kept in " + folder.location() + ": run the same command again to continue", 1, e);
        } finally {
            sc.stop(); // also delivers the listener's last events
        }
        return results;
    }

    private static void say(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    static String firstLine(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
        return m.lines().findFirst().orElse(m).strip();
    }

    /** The task: one trial per partition. */
    private static final class RunTrial extends AbstractFunction2<TaskContext, Iterator<Integer>, TrialTask.Outcome> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final TrialTask task;

        RunTrial(TrialTask task) {
            this.task = task;
        }

        @Override
        public TrialTask.Outcome apply(TaskContext context, Iterator<Integer> indices) {
            return task.run(context.partitionId(), indices.next(), context.attemptNumber());
        }
    }

    /** On the driver (never shipped), as each task succeeds: a line for the trial. */
    private static final class OnResult extends AbstractFunction2<Object, TrialTask.Outcome, BoxedUnit> {
        private final PrintWriter out;
        private final List<TrialTask.Outcome> outcomes;
        /** Whether -Dcharlm.kernels=reference asked for the plain kernels on purpose. */
        private final boolean referenceAsked = "reference".equals(System.getProperty("charlm.kernels"));

        OnResult(PrintWriter out, List<TrialTask.Outcome> outcomes) {
            this.out = out;
            this.outcomes = outcomes;
        }

        @Override
        public BoxedUnit apply(Object partition, TrialTask.Outcome o) {
            synchronized (outcomes) {
                outcomes.add(o);
            }
            String where = " [executor " + o.executor() + (o.attempt() > 0 ? ", attempt " + (o.attempt() + 1) : "") + "]";
            if (o.error() != null) {
                say(out, "trial " + o.trial() + ": refused" + where + ": " + o.error());
            } else {
                say(out, SweepTrial.summary(SweepTables.parseResult(o.resultJson(), o.trial())) + where);
                if (o.kernels().equals("reference") && !referenceAsked) {
                    say(out, "note: trial " + o.trial() + " ran on the slow reference kernels: its executor lacks the Vector API; start executors "
                            + "with --add-modules=jdk.incubator.vector (spark.executor.extraJavaOptions)");
                }
            }
            return BoxedUnit.UNIT;
        }
    }

    /** Says when an attempt of a trial fails; Spark then retries it, from its last checkpoint. */
    private static final class Failures extends SparkListener {
        private final List<SweepPlan.Trial> pending;
        private final PrintWriter out;
        private volatile String lastFailed;

        Failures(List<SweepPlan.Trial> pending, PrintWriter out) {
            this.pending = pending;
            this.out = out;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            TaskInfo info = end.taskInfo();
            if (info == null || !info.failed() || info.index() >= pending.size()) return;
            String trial = pending.get(info.index()).name();
            lastFailed = trial;
            String reason = end.reason() instanceof org.apache.spark.TaskFailedReason r ? r.toErrorString() : String.valueOf(end.reason());
            say(out, "trial " + trial + ": attempt " + (info.attemptNumber() + 1) + " failed on executor " + info.executorId() + ": "
                    + reason.lines().findFirst().orElse("").strip());
        }

        String lastFailed() {
            return lastFailed;
        }
    }
}
