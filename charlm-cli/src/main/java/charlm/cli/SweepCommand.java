package charlm.cli;

import charlm.CharlmException;
import charlm.run.RunDirectory;
import charlm.settings.Setting;
import charlm.sweep.JobArrayTask;
import charlm.sweep.LocalThreads;
import charlm.sweep.SweepEngine;
import charlm.sweep.SweepFolder;
import charlm.sweep.SweepPlan;
import charlm.sweep.SweepTables;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code charlm sweep}: a grid of settings (exercise 2), trials in parallel, each in its own run
 * folder, ranked by held-out perplexity in sweep.csv and sweep.md. Every training setting takes a
 * comma-separated list. A trial is done when its result.json exists, so running the same sweep again
 * skips finished trials. The same grid also runs on Spark ({@code --spark}, through a {@link SweepEngine.Cluster}),
 * or as a job array: {@code --list-trials}, one process per {@code --trial-index}, then {@code --collect}.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a grid of settings and rank them by held-out perplexity (sweep.csv, sweep.md).",
                "Every training setting takes a comma-separated list; every combination is a trial in its own folder",
                "(combinations that contradict themselves, such as a GRU with --activation relu, are left out and listed).",
                "Run the same command again after an interruption: finished trials are skipped,",
                "and with --checkpoint-every K a half-finished one resumes from its checkpoint.",
                "On a cluster: --spark MASTER makes each trial a Spark task; or run every",
                "--trial-index N of --list-trials as a job array (Slurm, a Kubernetes Indexed",
                "Job) into one shared --out, then --collect. See docs/cluster.md."})
final class SweepCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.LIST)
            .withDefault(TrainingSettings.EPOCHS, 100)
            .withDefault(TrainingSettings.VAL_FRACTION, 0.1)
            .withDefault(TrainingSettings.THREADS, 1);

    @Option(names = "--parallel", defaultValue = "0", paramLabel = "N",
            description = "Trials at once; 0 = as many as the cores allow at each trial's --threads. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--out", paramLabel = "DIR|URI",
            description = "Folder of the sweep: a path, or with Spark a Hadoop file system URI (hdfs://, s3a://, ...). Default: sweeps/<timestamp>.")
    String out;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run each trial as a task on Apache Spark: local[N] (embedded, N trials at once), local[N,F] (F attempts per trial), "
                    + "spark://HOST:PORT, yarn, k8s://URL. A failed trial is retried from its last --checkpoint-every checkpoint. "
                    + "Needs charlm-spark: ./charlm adds it when this option is given; under spark-submit it is the default.")
    String spark;

    @Option(names = "--list-trials", description = "Print the grid, one trial per line (index, folder name, the options that set it apart), and run nothing.")
    boolean listTrials;

    @Option(names = "--trial-index", paramLabel = "N",
            description = "Run only trial N (numbered from 0 as --list-trials prints them) into --out, the folder all trials share: one task of a job array.")
    Integer trialIndex;

    @Option(names = "--collect",
            description = "Rank the finished trials in --out (sweep.csv, sweep.md) and name the missing ones; the grid is --out's sweep.json.")
    boolean collect;

    @Spec
    CommandSpec spec;

    @Override
    public SettingOptions settingOptions() {
        return settingOptions;
    }

    @Override
    public Integer call() throws Exception {
        try {
            return sweep();
        } catch (IOException e) {
            // the folder went away or filled up mid-way: what is finished is kept, and a rerun continues
            throw new CharlmException("cannot read or write the sweep's files in " + (out != null ? out : "sweeps/") + " (" + RunDirectory.reason(e)
                    + "); run the same command again once it is reachable: finished trials are kept", e);
        }
    }

    private int sweep() throws Exception {
        if (parallel < 0) throw new CharlmException("--parallel must be 0 (automatic) or positive, got " + parallel);
        int modes = (spark != null ? 1 : 0) + (listTrials ? 1 : 0) + (trialIndex != null ? 1 : 0) + (collect ? 1 : 0);
        if (modes > 1) throw new CharlmException("--spark, --list-trials, --trial-index and --collect each run a sweep their own way; give only one of them");
        PrintWriter w = spec.commandLine().getOut();
        if (collect) return collect(w);
        SweepPlan.Grid grid = grid();
        for (Object f : grid.lists().get(TrainingSettings.VAL_FRACTION)) {
            if (!((Double) f > 0)) throw new CharlmException("--val-fraction must be in (0, 1) for a sweep: trials are ranked on the held-out text");
        }
        SweepPlan plan = SweepPlan.of(grid);
        if (listTrials) {
            for (SweepPlan.Trial t : plan.trials()) w.println(t.index() + "\t" + t.name() + "\t" + t.options());
            return 0;
        }
        if (trialIndex != null) {
            if (out == null) throw new CharlmException("--trial-index needs --out: every trial of the sweep writes into the one folder it names");
            if (trialIndex < 0 || trialIndex >= plan.trials().size()) {
                throw new CharlmException("--trial-index " + trialIndex + " is out of range: the grid has " + plan.trials().size() + " trials, 0 to "
                        + (plan.trials().size() - 1) + " (see --list-trials)");
            }
        }
        SweepEngine engine = spark != null ? cluster().connect(spark, plan)
                : trialIndex != null ? new JobArrayTask() : new LocalThreads(parallel, plan);
        SweepFolder folder = SweepFolder.of(out != null ? out
                : Path.of("sweeps", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toString());
        String gridJson = grid.json();
        prepare(folder, gridJson);
        if (trialIndex != null) {
            engine.run(folder, gridJson, plan, List.of(plan.trials().get(trialIndex)), w);
            return 0;
        }
        Map<Integer, Map<?, ?>> results = SweepTables.results(folder, plan);
        List<SweepPlan.Trial> pending = new ArrayList<>();
        for (SweepPlan.Trial t : plan.trials()) {
            if (results.containsKey(t.index())) w.println("trial " + t.name() + ": done before, skipped");
            else pending.add(t);
        }
        w.printf("sweep of %d trials%s; writing to %s%n", plan.trials().size(), engine.how(), folder.location());
        reportSkipped(plan, grid, w);
        w.flush();
        results.putAll(engine.run(folder, gridJson, plan, pending, w));
        w.print(SweepTables.write(folder, plan, results));
        w.println("wrote " + folder.location() + "/" + SweepTables.CSV + " and " + SweepTables.MD);
        return 0;
    }

    /** The grid the options give: each setting's list, and which were typed. */
    private SweepPlan.Grid grid() {
        Set<Setting<?>> typed = new HashSet<>();
        for (Setting<?> s : TrainingSettings.all()) if (settingOptions.given(s)) typed.add(s);
        return new SweepPlan.Grid(settingOptions.lists(), typed);
    }

    /** What the plan left out, and the typed values that no trial uses (they do not apply where they were given). */
    private static void reportSkipped(SweepPlan plan, SweepPlan.Grid grid, PrintWriter w) {
        Map<Setting<?>, List<Object>> typed = new LinkedHashMap<>(grid.lists());
        typed.keySet().retainAll(grid.typed());
        plan.reportSkipped(typed, w);
    }

    /** The tables of a job array's trials, from the grid the folder holds; names the trials still missing. */
    private int collect(PrintWriter w) throws IOException {
        if (out == null) throw new CharlmException("--collect needs --out: the folder the trials wrote into");
        SweepFolder folder = SweepFolder.of(out);
        String grid = SweepFolder.grid(folder);
        boolean gridGiven = TrainingSettings.all().stream().anyMatch(settingOptions::given);
        if (gridGiven && !grid().json().equals(grid)) {
            throw new CharlmException("--out " + folder.location() + " holds a different sweep (see its " + SweepFolder.GRID + "); give its own grid, or none");
        }
        SweepPlan plan = SweepPlan.of(SweepPlan.Grid.parse(grid, folder.location() + "/" + SweepFolder.GRID));
        Map<Integer, Map<?, ?>> results = SweepTables.results(folder, plan);
        w.print(SweepTables.write(folder, plan, results));
        w.println("wrote " + folder.location() + "/" + SweepTables.CSV + " and " + SweepTables.MD);
        List<String> missing = new ArrayList<>();
        for (SweepPlan.Trial t : plan.trials()) if (!results.containsKey(t.index())) missing.add(t.index() + " " + t.name());
        if (!missing.isEmpty()) {
            w.println("missing " + missing.size() + " of " + plan.trials().size() + " trials (run them with --trial-index N): " + String.join(", ", missing));
        }
        return 0;
    }

    /** Folder problems become one line for the user, as a run folder's do. */
    private static void prepare(SweepFolder folder, String gridJson) {
        try {
            SweepFolder.prepare(folder, gridJson);
        } catch (IOException e) {
            throw new CharlmException("cannot write to --out " + folder.location() + " (" + RunDirectory.reason(e) + "); choose a folder you can write to", e);
        }
    }

    /** The cluster engine charlm-spark provides, when it is on the class path. */
    private static SweepEngine.Cluster cluster() {
        Iterator<SweepEngine.Cluster> found = ServiceLoader.load(SweepEngine.Cluster.class).iterator();
        if (!found.hasNext()) {
            throw new CharlmException("--spark needs charlm-spark and Spark on the class path: run ./charlm sweep ... --spark MASTER (the launcher adds "
                    + "them), or spark-submit --class charlm.cli.Main charlm-spark.jar sweep ...");
        }
        return found.next();
    }
}
