package charlm.sweep;

import charlm.CharlmException;
import charlm.io.Json;
import charlm.settings.Setting;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ranked tables of a sweep, sweep.csv and sweep.md, from the result.json of each finished trial,
 * ranked by final held-out perplexity. Leaves out which trials exist ({@link SweepPlan}) and how they
 * ran ({@link SweepEngine}): the tables are the same however the trials were run.
 */
public final class SweepTables {
    public static final String CSV = "sweep.csv", MD = "sweep.md";

    private SweepTables() {
    }

    /** The result.json of every finished trial, by trial index. */
    public static Map<Integer, Map<?, ?>> results(SweepFolder folder, SweepPlan plan) throws IOException {
        Map<Integer, Map<?, ?>> rows = new TreeMap<>();
        for (SweepPlan.Trial t : plan.trials()) {
            String r = folder.read(t.name() + "/" + SweepTrial.RESULT);
            if (r != null) rows.put(t.index(), parseResult(r, folder.location() + "/" + t.name() + "/" + SweepTrial.RESULT));
        }
        return rows;
    }

    /** A result.json's contents. */
    public static Map<?, ?> parseResult(String json, String where) {
        try {
            if (Json.parse(json) instanceof Map<?, ?> m) return m;
        } catch (RuntimeException e) {
            throw new CharlmException(where + " is damaged (" + e.getMessage() + "); delete it to run the trial again");
        }
        throw new CharlmException(where + " is damaged (not a JSON object); delete it to run the trial again");
    }

    /**
     * sweep.csv and sweep.md from the finished trials' results (by trial index, as their result.json holds
     * them), ranked by final held-out perplexity; returns the table.
     */
    public static String write(SweepFolder folder, SweepPlan plan, Map<Integer, Map<?, ?>> results) throws IOException {
        List<Map<?, ?>> rows = new ArrayList<>();
        for (SweepPlan.Trial t : plan.trials()) if (results.containsKey(t.index())) rows.add(results.get(t.index()));
        rows.sort(Comparator.comparingDouble(r -> r.get("val_perplexity") instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY));
        StringBuilder csv = new StringBuilder("trial");
        StringBuilder md = new StringBuilder("| rank | trial");
        StringBuilder rule = new StringBuilder("|---:|---");
        for (Setting<?> s : plan.varying()) {
            csv.append(',').append(s.key());
            md.append(" | ").append(s.name());
            rule.append("|---");
        }
        csv.append(",train_perplexity,val_perplexity,best_val_perplexity,best_val_epoch,tokens_per_sec,seconds,status\n");
        md.append(" | train ppl | validation ppl | best validation (epoch) | tokens/s |\n");
        md.append(rule).append("|---:|---:|---:|---:|\n");
        int rank = 0;
        for (Map<?, ?> r : rows) {
            Map<?, ?> settings = r.get("settings") instanceof Map<?, ?> m ? m : Map.of();
            csv.append(str(r.get("trial")));
            md.append("| ").append(++rank).append(" | ").append(str(r.get("trial")));
            for (Setting<?> s : plan.varying()) {
                csv.append(',').append(str(settings.get(s.key())));
                md.append(" | ").append(str(settings.get(s.key())));
            }
            csv.append(',').append(String.join(",", num(r.get("train_perplexity"), 6), num(r.get("val_perplexity"), 6),
                    num(r.get("best_val_perplexity"), 6), epoch(r.get("best_val_epoch")), num(r.get("tokens_per_sec"), 1),
                    num(r.get("seconds"), 1), str(r.get("status")))).append('\n');
            md.append(" | ").append(num(r.get("train_perplexity"), 3)).append(" | ").append(num(r.get("val_perplexity"), 3))
                    .append(" | ").append(num(r.get("best_val_perplexity"), 3)).append(" (").append(epoch(r.get("best_val_epoch"))).append(")")
                    .append(" | ").append(num(r.get("tokens_per_sec"), 0)).append(" |\n");
        }
        folder.write(CSV, csv.toString());
        folder.write(MD, md.toString());
        return md.toString();
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** A number with the given decimals, or empty for none (a diverged trial). */
    private static String num(Object o, int decimals) {
        if (!(o instanceof Number n)) return "";
        return String.format(Locale.ROOT, "%." + decimals + "f", n.doubleValue());
    }

    /** An epoch: whole at an epoch's end, with two decimals for a score inside one (a run stopped by its time limit). */
    private static String epoch(Object o) {
        return o instanceof Number n && n.doubleValue() != Math.rint(n.doubleValue()) ? num(o, 2) : num(o, 0);
    }
}
