package charlm.spark;

import charlm.run.RunDirectory;
import charlm.sweep.SweepFolder;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * A sweep folder on a Hadoop file system (hdfs://, s3a://, gs://, abfs://, ...), through the FileSystem
 * API that Spark brings. A trial trains in a local staging folder; each checkpoint and, last, result.json
 * reach the sweep folder under a temporary name and are then renamed over the old file (FileContext's
 * rename with OVERWRITE: atomic on HDFS and local disks; on object stores a copy, which publishes each
 * object whole). A retried trial starts from the checkpoint it finds there.
 * Leaves out Hadoop's .crc side files: a local file system is used raw.
 */
final class HadoopSweepFolder implements SweepFolder {
    /** What a trial needs to resume, fetched into its staging folder (the model last: it decides). */
    private static final String[] RESUME_FILES = {RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.STEPS, RunDirectory.MODEL};

    private final URI uri;
    private final Configuration conf;
    private final FileSystem fs;
    private final Path base;
    private FileContext context;
    private boolean contextTried;

    HadoopSweepFolder(URI uri, Configuration conf) throws IOException {
        this.uri = uri;
        this.conf = conf;
        FileSystem f = FileSystem.get(uri, conf);
        this.fs = f instanceof ChecksumFileSystem c ? c.getRawFileSystem() : f;
        this.base = fs.makeQualified(new Path(uri));
    }

    URI uri() {
        return uri;
    }

    Configuration configuration() {
        return conf;
    }

    @Override
    public String location() {
        String s = uri.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** The first contact with the file system: where an unreachable one shows. */
    @Override
    public void create() throws IOException {
        try {
            if (fs.exists(base) && !fs.getFileStatus(base).isDirectory()) throw new IOException(location() + " is a file, not a folder");
            if (!fs.mkdirs(base)) throw new IOException("cannot create " + location());
            Path probe = new Path(base, ".write-test-" + UUID.randomUUID() + ".tmp");
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write('x');
            }
            fs.delete(probe, false);
        } catch (IOException e) {
            throw new IOException(readable(e), e);
        }
    }

    /** A Hadoop error's first line without the exception class names it embeds, for a line the user reads. */
    static String readable(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        m = m.replaceAll("(?:[a-z_][a-z0-9_]*\\.)+UnknownHostException: ", "unknown host ");
        m = m.replaceAll("(?:[a-z_][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9]*(?:Exception|Error): ", "");
        return m.replaceAll("\\s+", " ").strip();
    }

    @Override
    public boolean holdsFiles() throws IOException {
        if (!fs.exists(base)) return false;
        for (FileStatus s : fs.listStatus(base)) if (!s.getPath().getName().startsWith(".")) return true;
        return false;
    }

    @Override
    public String read(String file) throws IOException {
        try (InputStream in = fs.open(new Path(base, file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    @Override
    public void write(String file, String text) throws IOException {
        Path target = new Path(base, file);
        put(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes target whole or not at all: a temporary name beside it, synced, then renamed over it. */
    private void put(Path target, Content content) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        boolean renamed = false;
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                content.writeTo(out);
                out.hsync();
            }
            replace(tmp, target);
            renamed = true;
        } finally {
            if (!renamed) {
                try {
                    fs.delete(tmp, false);
                } catch (IOException ignored) {
                    // the write failed already; a leftover temporary is removed when the trial is next opened
                }
            }
        }
    }

    /**
     * Renames tmp over target. FileContext does it in one step where the file system can; a file system
     * without a FileContext binding falls back to FileSystem.rename, deleting the old file first where
     * rename refuses to replace (then a crash in between leaves no file: the trial starts over, same result).
     */
    private void replace(Path tmp, Path target) throws IOException {
        FileContext fc = fileContext();
        if (fc != null) {
            fc.rename(tmp, target, Options.Rename.OVERWRITE);
            return;
        }
        if (fs.rename(tmp, target)) return;
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) throw new IOException("cannot rename " + tmp + " to " + target);
    }

    private synchronized FileContext fileContext() {
        if (!contextTried) {
            contextTried = true;
            try {
                context = FileContext.getFileContext(base.toUri(), conf);
            } catch (UnsupportedFileSystemException e) {
                context = null;
            }
        }
        return context;
    }

    @Override
    public Workspace workspace(String name) throws IOException {
        Path remote = new Path(base, name);
        java.nio.file.Path staging = Files.createTempDirectory("charlm-trial-");
        try {
            fs.mkdirs(remote);
            for (FileStatus s : fs.listStatus(remote)) {
                // temporaries of an attempt that was killed while it wrote: never complete, never needed
                String n = s.getPath().getName();
                if (n.startsWith(".") && n.endsWith(".tmp")) fs.delete(s.getPath(), false);
            }
            if (fs.exists(new Path(remote, RunDirectory.MODEL))) {
                for (String f : RESUME_FILES) {
                    Path from = new Path(remote, f);
                    if (!fs.exists(from)) continue;
                    try (InputStream in = fs.open(from)) {
                        Files.copy(in, staging.resolve(f));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
        return new Workspace() {
            @Override
            public java.nio.file.Path dir() {
                return staging;
            }

            @Override
            public void publish(String... files) throws IOException {
                for (String f : files) {
                    java.nio.file.Path local = staging.resolve(f);
                    if (!Files.isRegularFile(local)) continue;
                    put(new Path(remote, f), out -> Files.copy(local, out));
                }
            }

            @Override
            public void close() throws IOException {
                deleteTree(staging);
            }
        };
    }

    private static void deleteTree(java.nio.file.Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
            for (java.nio.file.Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Override
    public String toString() {
        return location();
    }
}
