package charlm.sweep;

import charlm.CharlmException;
import charlm.io.AtomicFiles;
import charlm.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A sweep folder on a local (or mounted) file system. Trials train straight into their folders, so
 * there is nothing to copy: publishing is a no-op, and every file is already written atomically.
 */
final class LocalSweepFolder implements SweepFolder {
    private final Path dir;

    LocalSweepFolder(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public void create() {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CharlmException("--out " + dir + " is a file, not a folder; give a new folder name");
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".write-test", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new CharlmException("cannot write to --out " + dir + " (" + RunDirectory.reason(e) + "); choose a folder you can write to");
        }
    }

    @Override
    public boolean holdsFiles() throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> !p.getFileName().toString().startsWith("."));
        }
    }

    @Override
    public String read(String file) throws IOException {
        Path p = dir.resolve(file);
        return Files.isRegularFile(p) ? Files.readString(p) : null;
    }

    @Override
    public void write(String file, String text) throws IOException {
        AtomicFiles.writeString(dir.resolve(file), text);
    }

    @Override
    public Workspace workspace(String name) {
        Path trial = dir.resolve(name);
        return new Workspace() {
            @Override
            public Path dir() {
                return trial;
            }

            @Override
            public void publish(String... files) {
                // the trial's folder is the workspace: its files are in place already
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String toString() {
        return location();
    }
}
