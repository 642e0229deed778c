package charlm.spark;

import charlm.CharlmException;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.sweep.SweepFolder;
import charlm.sweep.SweepPlan;
import charlm.sweep.SweepTrial;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * What an executor does for one trial: plans the grid again from sweep.json's text (the plan is a pure
 * function of it, so trial k is the driver's trial k), opens the sweep folder, and trains the trial
 * unless a result is already there (an attempt that finished, but whose report to the driver was lost).
 * Bad input found only here (a text too short for a minibatch) is reported, not thrown: a retry would
 * fail the same way.
 */
final class TrialTask implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A text as the driver read it: its name there, and its bytes. */
    record ShippedText(String named, byte[] bytes) implements Serializable {
    }

    /** What a task hands back: the trial's result.json text, or the one line saying why it cannot run. */
    record Outcome(int index, String trial, String resultJson, String error, String kernels, String executor, int attempt) implements Serializable {
    }

    private final String gridJson;
    private final FolderRef folder;
    private final Broadcast<HashMap<String, ShippedText>> texts;
    private final List<String> names;
    private final Fault fault;

    TrialTask(String gridJson, FolderRef folder, Broadcast<HashMap<String, ShippedText>> texts, List<String> names, Fault fault) {
        this.gridJson = gridJson;
        this.folder = folder;
        this.texts = texts;
        this.names = List.copyOf(names);
        this.fault = fault;
    }

    /**
     * The key of a --data value in the shipped texts: "" for the book, else the absolute path (the driver
     * may have it as typed, relative; executors have it from sweep.json, where paths are absolute).
     */
    static String textKey(Path data) {
        return data == null ? "" : data.toAbsolutePath().normalize().toString();
    }

    Outcome run(int partition, int index, int attempt) {
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String name = names.get(partition);
        try {
            SweepFolder f = folder.open();
            List<SweepPlan.Trial> trials = SweepPlan.of(SweepPlan.Grid.parse(gridJson, "the sweep's grid")).trials();
            SweepPlan.Trial t = trials.get(index);
            if (!t.name().equals(name)) {
                throw new IllegalStateException("trial " + index + " is " + t.name() + " here but " + name + " on the driver: are the driver and the "
                        + "executors running the same charlm?");
            }
            String result = f.read(t.name() + "/" + SweepTrial.RESULT);
            if (result == null) {
                SweepTrial.AfterCheckpoint hook = fault == null ? SweepTrial.AfterCheckpoint.NONE : fault.hook(attempt);
                result = Json.pretty(SweepTrial.run(t, f, new SweepTrial.Corpora(this::locate), hook));
            }
            return new Outcome(index, name, result, null, Kernels.get().name(), executor, attempt);
        } catch (CharlmException e) {
            return new Outcome(index, name, null, e.getMessage(), Kernels.get().name(), executor, attempt);
        } catch (IOException e) {
            throw new UncheckedIOException("trial " + name + ": " + e.getMessage(), e);
        }
    }

    /** This executor's copy of each shipped text, written once per JVM; keyed by content. */
    private static final Map<String, Path> COPIES = new ConcurrentHashMap<>();

    private SweepTrial.Text locate(Path data) {
        ShippedText t = texts.value().get(textKey(data));
        if (t == null) throw new IllegalStateException("the driver shipped no text for --data " + data);
        Path local = COPIES.computeIfAbsent(sha256(t.bytes()), k -> {
            try {
                Path dir = Files.createTempDirectory("charlm-text-");
                Path file = dir.resolve(Path.of(t.named()).getFileName().toString());
                Files.write(file, t.bytes());
                file.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot keep a copy of " + t.named() + " on this executor", e);
            }
        });
        return new SweepTrial.Text(Path.of(t.named()), local);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The sweep folder as an executor opens it: a local path, or a Hadoop URI with the driver's Hadoop configuration. */
    static final class FolderRef implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String location;
        private final URI uri;
        private final SerializableConfiguration conf;

        FolderRef(SweepFolder folder) {
            this.location = folder.location();
            if (folder instanceof HadoopSweepFolder h) {
                this.uri = h.uri();
                this.conf = new SerializableConfiguration(h.configuration());
            } else {
                this.uri = null;
                this.conf = null;
            }
        }

        SweepFolder open() throws IOException {
            return uri == null ? SweepFolder.of(location) : new HadoopSweepFolder(uri, conf.value());
        }
    }

    /**
     * Test-only fault injection ({@link SparkSweep#FAULT_PROPERTY}, read on the driver): the first attempt
     * of one trial fails right after its first checkpoint reached the sweep folder, by an exception or, with
     * ":halt", by killing the executor's JVM (never in local mode: that JVM is the driver).
     */
    record Fault(String trial, boolean halt) implements Serializable {
        static Fault fromProperty(String value) {
            if (value == null || value.isBlank()) return null;
            boolean halt = value.endsWith(":halt");
            return new Fault(halt ? value.substring(0, value.length() - ":halt".length()) : value, halt);
        }

        SweepTrial.AfterCheckpoint hook(int attempt) {
            return (t, epoch) -> {
                if (attempt != 0 || !t.name().equals(trial)) return;
                if (halt) Runtime.getRuntime().halt(137);
                throw new IllegalStateException("fault injected by " + SparkSweep.FAULT_PROPERTY + " after the checkpoint of epoch " + epoch);
            };
        }
    }
}
