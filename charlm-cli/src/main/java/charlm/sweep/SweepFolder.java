package charlm.sweep;

import charlm.CharlmException;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The folder of a sweep: sweep.json, sweep.csv, sweep.md and one folder per trial, wherever it lives.
 * A local folder here ({@link LocalSweepFolder}); a folder on a Hadoop file system (hdfs://, s3a://, ...)
 * with charlm-spark, found through {@link Provider}. Training itself always writes a local folder (a
 * {@link Workspace}), which the sweep folder then receives file by file, each atomically.
 * Leaves out listing and deleting: a sweep only ever adds files, and finds them by name.
 */
public interface SweepFolder {
    /** The grid of the sweep a folder holds ({@link SweepPlan.Grid#json}). */
    String GRID = "sweep.json";


    /** Where the folder is, as the user would write it (an absolute path or a URI). */
    String location();

    /** Makes the folder if it is missing and checks that files can be written into it. */
    void create() throws IOException;

    /** Whether the folder holds anything besides hidden files (names starting with '.', such as temporaries). */
    boolean holdsFiles() throws IOException;

    /** The text of a file, by a '/'-separated path inside the folder; null when there is no such file. */
    String read(String file) throws IOException;

    /** Writes a file so that a reader sees the old file or the whole new one, never a part. */
    void write(String file, String text) throws IOException;

    /**
     * A local folder for trial `name` to train in, holding what this sweep folder already has of the trial
     * (its last checkpoint, to resume from).
     */
    Workspace workspace(String name) throws IOException;

    /** Where one trial trains: a local folder, and the way its files reach the sweep folder. */
    interface Workspace extends Closeable {
        Path dir();

        /** Copies the named files of dir() that exist into the sweep folder, in the order given, each atomically. */
        void publish(String... files) throws IOException;

        /** Removes what the workspace kept locally, if anything; the sweep folder keeps what was published. */
        @Override
        void close() throws IOException;
    }

    /** Opens sweep folders given as URIs of some scheme (charlm-spark: every Hadoop file system). */
    interface Provider {
        /** The folder at uri, or empty when this provider does not know the scheme. */
        Optional<SweepFolder> open(URI uri);
    }

    /** A URI scheme of at least two letters followed by ':/' (so that C:/ stays a path). */
    Pattern URI_LIKE = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:/.*");

    /** The folder --out names: a local path or file: URI, or a URI some {@link Provider} on the class path opens. */
    static SweepFolder of(String location) {
        if (!URI_LIKE.matcher(location).matches()) return new LocalSweepFolder(Path.of(location));
        URI uri;
        try {
            uri = new URI(location);
        } catch (java.net.URISyntaxException e) {
            throw new CharlmException("--out " + location + " is not a valid URI (" + e.getReason() + ")");
        }
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            try {
                return new LocalSweepFolder(Path.of(uri));
            } catch (IllegalArgumentException e) {
                throw new CharlmException("--out " + location + " is not a local file URI (" + e.getMessage() + "); write file:///absolute/path");
            }
        }
        for (Provider p : ServiceLoader.load(Provider.class)) {
            Optional<SweepFolder> f = p.open(uri);
            if (f.isPresent()) return f.get();
        }
        throw new CharlmException("--out " + location + ": a " + uri.getScheme() + ":// folder is reached through Hadoop's file systems, which "
                + "come with Spark; run the sweep with --spark (./charlm then adds Spark) or through spark-submit charlm-spark.jar");
    }

    /**
     * A new folder for the grid, or the folder of this very grid (to continue it); anything else is refused.
     * Safe when many processes of a job array start on the same new folder at once: they all write the same
     * sweep.json, atomically, and a folder that holds files is only refused when it still has no sweep.json.
     */
    static void prepare(SweepFolder folder, String gridJson) throws IOException {
        folder.create();
        String existing = folder.read(GRID);
        if (existing == null && folder.holdsFiles()) {
            existing = folder.read(GRID); // another process of this sweep may have just written it
            if (existing == null) {
                throw new CharlmException("--out " + folder.location() + " already holds files and no " + GRID + "; give a new folder for the sweep");
            }
        }
        if (existing == null) {
            folder.write(GRID, gridJson);
            existing = folder.read(GRID);
        }
        if (!gridJson.equals(existing)) {
            throw new CharlmException("--out " + folder.location() + " holds a different sweep (see its " + GRID + "); use a new folder to run this grid");
        }
    }

    /** The grid a sweep folder holds, from its sweep.json; refused when it holds none. */
    static String grid(SweepFolder folder) throws IOException {
        String grid = folder.read(GRID);
        if (grid == null) {
            throw new CharlmException("--out " + folder.location() + " holds no sweep (no " + GRID + "); give the folder a sweep wrote into");
        }
        return grid;
    }
}
