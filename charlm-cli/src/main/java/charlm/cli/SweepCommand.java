package charlm.cli;

import charlm.CharlmException;
import charlm.data.Corpus;
import charlm.io.AtomicFiles;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.train.EpochStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code charlm sweep}: a grid of hyper-parameters (exercise 2), trials in parallel, each in its own
 * run folder, ranked by held-out perplexity in sweep.csv and sweep.md. A trial is done when its
 * result.json exists, so running the same sweep again skips finished trials.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a grid of settings and rank them by held-out perplexity (sweep.csv, sweep.md).",
                "Lists are comma-separated; every combination is a trial in its own folder. Run the same command",
                "again after an interruption: finished trials are skipped."})
final class SweepCommand implements Callable<Integer> {
    static final String GRID = "sweep.json", RESULT = "result.json";

    @Option(names = "--data", paramLabel = "FILE", description = "Text file. Default: The Time Machine (cached or downloaded).")
    Path data;

    @Option(names = "--max-tokens", defaultValue = "10000", paramLabel = "N", description = "First N tokens (0 = all). Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--tokenizer", defaultValue = "letters", paramLabel = "letters|chars", description = "Default: ${DEFAULT-VALUE}.")
    String tokenizer;

    @Option(names = "--val-fraction", defaultValue = "0.1", paramLabel = "F", description = "Held-out tail of the token stream. Default: ${DEFAULT-VALUE}.")
    double valFraction;

    @Option(names = "--epochs", defaultValue = "100", paramLabel = "N", description = "Epochs per trial. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--hiddens", split = ",", defaultValue = "512", paramLabel = "H[,H...]", description = "Hidden units. Default: ${DEFAULT-VALUE}.")
    List<Integer> hiddens;

    @Option(names = "--lr", split = ",", defaultValue = "1", paramLabel = "R[,R...]", description = "Learning rates. Default: ${DEFAULT-VALUE}.")
    List<Double> lrs;

    @Option(names = "--num-steps", split = ",", defaultValue = "35", paramLabel = "T[,T...]", description = "Steps per minibatch. Default: ${DEFAULT-VALUE}.")
    List<Integer> numSteps;

    @Option(names = "--batch-size", split = ",", defaultValue = "32", paramLabel = "B[,B...]", description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batchSizes;

    @Option(names = "--input", split = ",", defaultValue = "onehot", paramLabel = "onehot|embedding", description = "Input layers. Default: ${DEFAULT-VALUE}.")
    List<String> inputs;

    @Option(names = "--embed-dim", defaultValue = "32", paramLabel = "E", description = "Embedding size for embedding trials. Default: ${DEFAULT-VALUE}.")
    int embedDim;

    @Option(names = "--clip", defaultValue = "1", paramLabel = "THETA|none", description = "Default: ${DEFAULT-VALUE}.")
    String clip;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of every trial. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--parallel", defaultValue = "0", paramLabel = "N",
            description = "Trials at once, each on one thread; 0 = one per core. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder of the sweep. Default: sweeps/<timestamp>.")
    Path out;

    @Spec
    CommandSpec spec;

    record Trial(String name, TrainingOptions options) {
    }

    @Override
    public Integer call() throws Exception {
        List<Trial> trials = grid();
        for (Trial t : trials) t.options().validate(epochs);
        if (parallel < 0) throw new CharlmException("--parallel must be 0 (one per core) or positive, got " + parallel);
        if (!(valFraction > 0 && valFraction < 1)) throw new CharlmException("--val-fraction must be in (0, 1) for a sweep: trials are ranked on it");
        Path dir = out != null ? out : Path.of("sweeps", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        String gridJson = Json.pretty(gridDescription());
        prepare(dir, gridJson);
        TrainingOptions first = trials.get(0).options();
        Path file = first.dataFile();
        Corpus corpus = Corpus.load(file, first.tokenizer(), maxTokens);
        PrintWriter w = spec.commandLine().getOut();
        int threads = parallel > 0 ? parallel : Runtime.getRuntime().availableProcessors();
        w.printf("sweep of %d trials on %s, %d at a time, %d epochs each; writing to %s%n", trials.size(), file, threads, epochs, dir);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Trial t : trials) {
                Path trialDir = dir.resolve(t.name());
                if (Files.isRegularFile(trialDir.resolve(RESULT))) {
                    w.println("trial " + t.name() + ": done before, skipped");
                    continue;
                }
                running.add(pool.submit(() -> {
                    runTrial(t, trialDir, file, corpus, w);
                    return null;
                }));
            }
            for (Future<?> f : running) f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            pool.shutdownNow();
        }
        writeTables(dir, trials, w);
        return 0;
    }

    private List<Trial> grid() {
        List<Trial> trials = new ArrayList<>();
        for (int h : hiddens) for (double lr : lrs) for (int t : numSteps) for (int b : batchSizes) for (String in : inputs) {
            TrainingOptions o = new TrainingOptions();
            o.data = data;
            o.maxTokens = maxTokens;
            o.tokenizer = tokenizer;
            o.batchSize = b;
            o.numSteps = t;
            o.hiddens = h;
            o.lr = lr;
            o.clip = clip;
            o.sampling = "sequential";
            o.cell = "rnn";
            o.layers = 1;
            o.activation = "tanh";
            o.input = in;
            o.embedDim = embedDim;
            o.valFraction = valFraction;
            o.seed = seed;
            o.threads = 1;
            String name = String.format(Locale.ROOT, "h%d-lr%s-t%d-b%d%s", h, trim(lr), t, b, in.equalsIgnoreCase("onehot") ? "" : "-" + in + embedDim);
            trials.add(new Trial(name, o));
        }
        return trials;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private Map<String, Object> gridDescription() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("data", data == null ? "(The Time Machine)" : data.toAbsolutePath().toString());
        g.put("max_tokens", maxTokens);
        g.put("tokenizer", tokenizer);
        g.put("val_fraction", valFraction);
        g.put("epochs", epochs);
        g.put("hiddens", List.copyOf(hiddens));
        g.put("lr", List.copyOf(lrs));
        g.put("num_steps", List.copyOf(numSteps));
        g.put("batch_size", List.copyOf(batchSizes));
        g.put("input", List.copyOf(inputs));
        g.put("embed_dim", embedDim);
        g.put("clip", clip);
        g.put("seed", seed);
        return g;
    }

    /** A new folder, or the folder of this very sweep (to resume); anything else is refused. */
    private static void prepare(Path dir, String gridJson) throws IOException {
        Path grid = dir.resolve(GRID);
        if (Files.isRegularFile(grid)) {
            if (!Files.readString(grid).equals(gridJson)) {
                throw new CharlmException("--out " + dir + " holds a different sweep (see its " + GRID + "); use a new folder to run this grid");
            }
            return;
        }
        RunDirectory.prepare(dir, false);
        AtomicFiles.writeString(grid, gridJson);
    }

    private void runTrial(Trial t, Path trialDir, Path file, Corpus corpus, PrintWriter w) throws IOException {
        TrainingOptions o = t.options();
        TrainingOptions.Split split = o.split(file, corpus);
        RunDirectory run = RunDirectory.prepare(trialDir, true); // a half-finished trial starts over
        run.writeConfig(Json.pretty(o.settings(epochs)));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("trial", t.name());
        result.put("hiddens", o.hiddens);
        result.put("lr", o.lr);
        result.put("num_steps", o.numSteps);
        result.put("batch_size", o.batchSize);
        result.put("input", o.input);
        long start = System.nanoTime();
        try (Workers workers = new Workers(1)) {
            TrainingOptions.Session s = o.start(split, new Engine(Kernels.get(), workers), epochs);
            EpochStats last = s.trainer().run(e -> {
                try {
                    run.recordEpoch(e);
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            });
            result.put("train_perplexity", last.perplexity());
            result.put("val_perplexity", last.valPerplexity());
            EpochStats best = run.bestValidation();
            result.put("best_val_perplexity", best.valPerplexity());
            result.put("best_val_epoch", best.epoch());
            result.put("tokens_per_sec", TrainCommand.medianSpeed(run));
            result.put("status", "done");
        } catch (CharlmException e) {
            if (e.exitCode() != 3) throw e;
            result.put("train_perplexity", null);
            result.put("val_perplexity", null);
            result.put("best_val_perplexity", null);
            result.put("best_val_epoch", null);
            result.put("tokens_per_sec", null);
            result.put("status", "diverged");
        }
        result.put("seconds", (System.nanoTime() - start) / 1e9);
        if (!run.history().isEmpty()) PerplexityPlot.write(run.file(RunDirectory.PLOT), run.history(), "trial " + t.name());
        AtomicFiles.writeString(trialDir.resolve(RESULT), Json.pretty(result));
        synchronized (w) {
            w.println("trial " + t.name() + ": " + (result.get("status").equals("done")
                    ? String.format(Locale.ROOT, "train %.3f, validation %.3f, %.0f s", result.get("train_perplexity"),
                    result.get("val_perplexity"), result.get("seconds"))
                    : "diverged"));
            w.flush();
        }
    }

    private void writeTables(Path dir, List<Trial> trials, PrintWriter w) throws IOException {
        List<Map<?, ?>> rows = new ArrayList<>();
        for (Trial t : trials) {
            Path r = dir.resolve(t.name()).resolve(RESULT);
            if (Files.isRegularFile(r)) rows.add((Map<?, ?>) Json.parse(Files.readString(r)));
        }
        rows.sort(Comparator.comparingDouble(r -> r.get("val_perplexity") instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY));
        StringBuilder csv = new StringBuilder("trial,hiddens,lr,num_steps,batch_size,input,train_perplexity,val_perplexity,"
                + "best_val_perplexity,best_val_epoch,tokens_per_sec,seconds,status\n");
        StringBuilder md = new StringBuilder("| rank | hiddens | lr | steps | batch | input | train ppl | validation ppl | best validation (epoch) | tokens/s |\n"
                + "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n");
        int rank = 0;
        for (Map<?, ?> r : rows) {
            csv.append(String.join(",", str(r.get("trial")), num(r.get("hiddens"), 0), num(r.get("lr"), -1), num(r.get("num_steps"), 0),
                    num(r.get("batch_size"), 0), str(r.get("input")), num(r.get("train_perplexity"), 6), num(r.get("val_perplexity"), 6),
                    num(r.get("best_val_perplexity"), 6), num(r.get("best_val_epoch"), 0),
                    num(r.get("tokens_per_sec"), 1), num(r.get("seconds"), 1), str(r.get("status")))).append('\n');
            md.append("| ").append(++rank).append(" | ").append(num(r.get("hiddens"), 0)).append(" | ").append(num(r.get("lr"), -1))
                    .append(" | ").append(num(r.get("num_steps"), 0)).append(" | ").append(num(r.get("batch_size"), 0))
                    .append(" | ").append(str(r.get("input"))).append(" | ").append(num(r.get("train_perplexity"), 3))
                    .append(" | ").append(num(r.get("val_perplexity"), 3))
                    .append(" | ").append(num(r.get("best_val_perplexity"), 3)).append(" (").append(num(r.get("best_val_epoch"), 0)).append(")")
                    .append(" | ").append(num(r.get("tokens_per_sec"), 0)).append(" |\n");
        }
        AtomicFiles.writeString(dir.resolve("sweep.csv"), csv.toString());
        AtomicFiles.writeString(dir.resolve("sweep.md"), md.toString());
        w.print(md);
        w.println("wrote " + dir.resolve("sweep.csv") + " and sweep.md");
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** A number with the given decimals (-1: as short as it reads), or "diverged" / empty for none. */
    private static String num(Object o, int decimals) {
        if (!(o instanceof Number n)) return "";
        double d = n.doubleValue();
        if (decimals < 0) return trim(d);
        return String.format(Locale.ROOT, "%." + decimals + "f", d);
    }
}
