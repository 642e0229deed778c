package charlm.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * This process as one task of a job array (Slurm, a Kubernetes Indexed Job): it runs the trial it was
 * given by --trial-index in its own thread; the other trials run in other processes, into the same folder.
 */
public final class JobArrayTask implements SweepEngine {
    @Override
    public String how() {
        return " in a job array";
    }

    @Override
    public Map<Integer, Map<?, ?>> run(SweepFolder folder, String gridJson, SweepPlan plan, List<SweepPlan.Trial> pending, PrintWriter w)
            throws IOException {
        Map<Integer, Map<?, ?>> results = new TreeMap<>();
        for (SweepPlan.Trial t : pending) {
            if (SweepTrial.done(folder, t)) {
                w.println("trial " + t.name() + ": done before, skipped");
                continue;
            }
            w.printf("trial %d: %s; writing to %s/%s%n", t.index(), t.name(), folder.location(), t.name());
            w.flush();
            Map<String, Object> result = SweepTrial.run(t, folder, new SweepTrial.Corpora(), SweepTrial.AfterCheckpoint.NONE);
            w.println(SweepTrial.summary(result));
            results.put(t.index(), result);
        }
        return results;
    }
}
