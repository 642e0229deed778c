package charlm.sweep;

import charlm.io.Json;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The trials in a pool of this process's threads, as many at once as --parallel says or the cores allow at each trial's --threads. */
public final class LocalThreads implements SweepEngine {
    private final int atOnce;

    /** parallel: trials at once, or 0 for as many as the cores allow at the most threads any trial of the plan uses. */
    public LocalThreads(int parallel, SweepPlan plan) {
        this.atOnce = parallel > 0 ? parallel : Math.max(1, Runtime.getRuntime().availableProcessors() / maxThreads(plan));
    }

    @Override
    public String how() {
        return ", " + atOnce + " at a time";
    }

    @Override
    public Map<Integer, Map<?, ?>> run(SweepFolder folder, String gridJson, SweepPlan plan, List<SweepPlan.Trial> pending, PrintWriter w)
            throws IOException {
        Map<Integer, Map<?, ?>> results = new ConcurrentHashMap<>();
        SweepTrial.Corpora corpora = new SweepTrial.Corpora();
        ExecutorService pool = Executors.newFixedThreadPool(atOnce);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (SweepPlan.Trial t : pending) {
                running.add(pool.submit(() -> {
                    Map<String, Object> result = SweepTrial.run(t, folder, corpora, SweepTrial.AfterCheckpoint.NONE);
                    results.put(t.index(), SweepTables.parseResult(Json.write(result), t.name()));
                    synchronized (w) {
                        w.println(SweepTrial.summary(result));
                        w.flush();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the trials ran", e);
        } finally {
            pool.shutdownNow();
        }
        return results;
    }

    /** The most threads any trial uses (automatic counts as all cores). */
    private static int maxThreads(SweepPlan plan) {
        int most = 1;
        for (SweepPlan.Trial t : plan.trials()) most = Math.max(most, TrainingSettings.threads(t.settings()));
        return most;
    }
}
