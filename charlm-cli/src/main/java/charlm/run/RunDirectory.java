package charlm.run;

import charlm.CharlmException;
import charlm.io.AtomicFiles;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A run's output folder: config.json, metrics.csv, perplexity.png, model.safetensors. Checked before
 * training starts (an existing non-empty folder is refused without --force); every file is written
 * under a temporary name and renamed, so a crash never leaves half a file.
 */
public final class RunDirectory implements AutoCloseable {
    public static final String CONFIG = "config.json", METRICS = "metrics.csv", STEPS = "steps.csv", PLOT = "perplexity.png",
            MODEL = "model.safetensors", BEST = "best.safetensors";
    private static final String STEPS_HEADER = "step,epoch,tokens,train_loss,lr,val_perplexity,eval_seconds,val_scored";

    private final Path dir;
    private final List<EpochStats> history = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    private final RunLock lock;

    private RunDirectory(Path dir, RunLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /** Lets the next writer in. */
    @Override
    public void close() {
        lock.close();
    }

    public static Path defaultPath() {
        return Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /**
     * Checks and creates the folder and takes its lock (close the result to release it); refuses a folder
     * that holds files unless force, and one that another charlm is writing to.
     */
    public static RunDirectory prepare(Path dir, boolean force) {
        checkWritable(dir, force);
        RunLock lock = RunLock.acquire(dir);
        try {
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            lock.close();
            throw new CharlmException("cannot write to --out " + dir + " (" + reason(e) + "); choose a folder you can write to");
        }
        return new RunDirectory(dir, lock);
    }

    /** The checks of {@link #prepare}, and the folder made, without taking its lock (a sweep's folder, shared by its trials). */
    public static void checkWritable(Path dir, boolean force) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CharlmException("--out " + dir + " is a file, not a folder; give a new folder name");
        }
        if (Files.isDirectory(dir) && !force && !isEmpty(dir)) {
            throw new CharlmException("--out " + dir + " already holds files; give a new folder, or add --force to write over them");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            throw new CharlmException("cannot write to --out " + dir + " (" + reason(e) + "); choose a folder you can write to");
        }
    }

    /** What went wrong, in words rather than an exception's class name (the user sees this line). */
    public static String reason(Exception e) {
        if (e instanceof FileSystemException f) {
            String why = f.getReason() != null ? f.getReason()
                    : f instanceof AccessDeniedException ? "permission denied"
                    : f instanceof FileAlreadyExistsException ? "a file is in the way" : "cannot create it";
            return (f.getFile() == null ? "" : f.getFile() + ": ") + why;
        }
        return e.getMessage() != null ? e.getMessage() : "not allowed";
    }

    /**
     * An existing run, its metrics.csv read back up to (and including) epoch `done` and its steps.csv up
     * to step `step`; later rows (written after the checkpoint) are dropped.
     */
    public static RunDirectory resume(Path dir, int done, long step) {
        RunDirectory run = new RunDirectory(dir, RunLock.acquire(dir));
        try {
            run.readBack(done, step);
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
        return run;
    }

    private void readBack(int done, long step) {
        RunDirectory run = this;
        removeStaleTemporaries(dir);
        Path csv = dir.resolve(METRICS);
        try {
            if (Files.isRegularFile(csv)) {
                for (EpochStats s : readMetrics(csv)) {
                    if (s.epoch() > done) break;
                    run.history.add(s);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CharlmException("cannot read " + csv + " to continue it (" + e.getMessage() + ")");
        }
        if (run.history.size() != done) {
            throw new CharlmException(csv + " has " + run.history.size() + " epochs but the checkpoint " + done + "; the run folder is damaged");
        }
        Path steps = dir.resolve(STEPS);
        try {
            if (Files.isRegularFile(steps)) {
                for (Evaluation e : readSteps(steps)) {
                    if (e.step() > step) break;
                    run.evaluations.add(e);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CharlmException("cannot read " + steps + " to continue it (" + e.getMessage() + ")");
        }
    }

    /** The rows of a steps.csv as written by {@link #recordEvaluation} (whether each was a best is not recorded: false). */
    public static List<Evaluation> readSteps(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<Evaluation> rows = new ArrayList<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            rows.add(new Evaluation(Long.parseLong(f[0]), Double.parseDouble(f[1]), Long.parseLong(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), false, Double.parseDouble(f[6]), f.length > 7 ? Long.parseLong(f[7]) : 0));
        }
        return rows;
    }

    /** The rows of a metrics.csv as written by {@link #recordEpoch} (seconds are not recorded: 0). */
    public static List<EpochStats> readMetrics(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<EpochStats> rows = new ArrayList<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            rows.add(new EpochStats(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    f.length > 3 ? Double.parseDouble(f[3]) : Double.NaN, 0));
        }
        return rows;
    }

    /** A process killed during a write leaves its temporary file (".name.*.tmp") behind; it is never needed. */
    public static void removeStaleTemporaries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp") && Files.isRegularFile(p)) Files.delete(p);
            }
        } catch (IOException e) {
            // harmless leftovers; the run itself is intact
        }
    }

    /** Empty but for a lock file a run that never wrote anything may have left. */
    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.allMatch(p -> p.getFileName().toString().equals(RunLock.NAME));
        } catch (IOException e) {
            throw new CharlmException("cannot list --out " + dir + ": " + e.getMessage());
        }
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public void writeConfig(String json) throws IOException {
        AtomicFiles.writeString(file(CONFIG), json);
    }

    /** Adds an epoch and rewrites metrics.csv whole (it is small), atomically. */
    public void recordEpoch(EpochStats s) throws IOException {
        history.add(s);
        boolean val = s.hasValidation();
        StringBuilder b = new StringBuilder(val ? "epoch,perplexity,tokens_per_sec,val_perplexity\n" : "epoch,perplexity,tokens_per_sec\n");
        for (EpochStats e : history) {
            b.append(e.epoch()).append(',').append(String.format(Locale.ROOT, "%.6f", e.perplexity())).append(',')
                    .append(String.format(Locale.ROOT, "%.1f", e.tokensPerSec()));
            if (val) b.append(',').append(String.format(Locale.ROOT, "%.6f", e.valPerplexity()));
            b.append('\n');
        }
        AtomicFiles.writeString(file(METRICS), b.toString());
    }

    public List<EpochStats> history() {
        return history;
    }

    /** Adds a held-out scoring and rewrites steps.csv whole, atomically. */
    public void recordEvaluation(Evaluation e) throws IOException {
        evaluations.add(e);
        StringBuilder b = new StringBuilder(STEPS_HEADER).append('\n');
        for (Evaluation v : evaluations) {
            b.append(v.step()).append(',').append(String.format(Locale.ROOT, "%.4f,%d,%.6f,%.6g,%.6f,%.2f", v.epochs(), v.tokens(),
                    v.trainLoss(), v.lr(), v.valPerplexity(), v.seconds())).append(',').append(v.scored()).append('\n');
        }
        AtomicFiles.writeString(file(STEPS), b.toString());
    }

    public List<Evaluation> evaluations() {
        return evaluations;
    }

    /** The median tokens/s of the recorded epochs (not none). */
    public double medianSpeed() {
        return median(history.stream().mapToDouble(EpochStats::tokensPerSec).toArray());
    }

    /** The median of values (not empty): the middle one, or the mean of the middle two. */
    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The recorded epoch with the lowest held-out perplexity; call only when one is recorded. */
    public EpochStats bestValidation() {
        return history.stream().min(Comparator.comparingDouble(EpochStats::valPerplexity)).orElseThrow();
    }
}
