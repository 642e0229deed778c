package charlm.cli;

import charlm.CharlmException;
import charlm.io.Json;
import charlm.train.TrainingSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code charlm sweep}: a grid of settings (exercise 2), trials in parallel, each in its own run
 * folder, ranked by held-out perplexity in sweep.csv and sweep.md. Every training setting takes a
 * comma-separated list. A trial is done when its result.json exists, so running the same sweep again
 * skips finished trials.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a grid of settings and rank them by held-out perplexity (sweep.csv, sweep.md).",
                "Every training setting takes a comma-separated list; every combination is a trial in its own folder",
                "(combinations that contradict themselves, such as a GRU with --activation relu, are left out and listed).",
                "Run the same command again after an interruption: finished trials are skipped."})
final class SweepCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.LIST)
            .withDefault(TrainingSettings.EPOCHS, 100)
            .withDefault(TrainingSettings.VAL_FRACTION, 0.1)
            .withDefault(TrainingSettings.THREADS, 1);

    @Option(names = "--parallel", defaultValue = "0", paramLabel = "N",
            description = "Trials at once; 0 = as many as the cores allow at each trial's --threads. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder of the sweep. Default: sweeps/<timestamp>.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public SettingOptions settingOptions() {
        return settingOptions;
    }

    @Override
    public Integer call() throws Exception {
        if (parallel < 0) throw new CharlmException("--parallel must be 0 (automatic) or positive, got " + parallel);
        var lists = settingOptions.lists();
        for (Object f : lists.get(TrainingSettings.VAL_FRACTION)) {
            if (!((Double) f > 0)) throw new CharlmException("--val-fraction must be in (0, 1) for a sweep: trials are ranked on the held-out text");
        }
        Sweep.Plan plan = Sweep.plan(lists);
        PrintWriter w = spec.commandLine().getOut();
        Path dir = out != null ? out : Path.of("sweeps", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Sweep.prepare(dir, Json.pretty(Sweep.describe(lists)));
        Sweep.Corpora corpora = new Sweep.Corpora();
        int threads = parallel > 0 ? parallel : Math.max(1, Runtime.getRuntime().availableProcessors() / maxThreads(plan));
        w.printf("sweep of %d trials, %d at a time; writing to %s%n", plan.trials().size(), threads, dir);
        Sweep.reportSkipped(plan, lists, w);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Sweep.Trial t : plan.trials()) {
                if (Sweep.done(dir, t)) {
                    w.println("trial " + t.name() + ": done before, skipped");
                    continue;
                }
                running.add(pool.submit(() -> {
                    Map<String, Object> result = Sweep.runTrial(t, dir.resolve(t.name()), corpora.data(t.settings()));
                    synchronized (w) {
                        w.println(Sweep.summary(result));
                        w.flush();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.io.IOException io) throw cannotWrite(dir, io);
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            pool.shutdownNow();
        }
        try {
            w.print(Sweep.writeTables(dir, plan));
        } catch (java.io.IOException e) {
            throw cannotWrite(dir, e);
        }
        w.println("wrote " + dir.resolve(Sweep.CSV) + " and " + Sweep.MD);
        return 0;
    }

    /** A write that failed (a full disk): finished trials and earlier tables are whole, since every write is atomic. */
    private static CharlmException cannotWrite(Path dir, java.io.IOException e) {
        return new CharlmException("cannot write to the sweep in " + dir + " (" + e.getMessage() + "); what is there is intact: free some space, "
                + "then run the same command again (finished trials are skipped)", e);
    }

    /** The most threads any trial uses (automatic counts as all cores). */
    private static int maxThreads(Sweep.Plan plan) {
        int most = 1;
        for (Sweep.Trial t : plan.trials()) most = Math.max(most, TrainingSettings.threads(t.settings()));
        return most;
    }
}
