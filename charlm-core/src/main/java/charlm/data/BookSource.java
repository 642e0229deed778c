package charlm.data;

import charlm.CharlmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the training text comes from: a file the user names wins; otherwise the book's
 * The Time Machine, downloaded once from the book's data URL, checked against its SHA-1 and
 * cached under $CHARLM_HOME (default ~/.cache/charlm). The cache is only ever replaced whole.
 */
public final class BookSource {
    public static final URI TIME_MACHINE_URL = URI.create("http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt");
    public static final String TIME_MACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a";
    public static final String CACHE_NAME = "timemachine.txt";

    private final Path home;
    private final URI url;
    private final String sha1;

    public BookSource(Path home, URI url, String sha1) {
        this.home = home;
        this.url = url;
        this.sha1 = sha1;
    }

    /** The default cache: $CHARLM_HOME, else ~/.cache/charlm. */
    public static BookSource timeMachine() {
        String env = System.getenv("CHARLM_HOME");
        Path home = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "charlm");
        return new BookSource(home, TIME_MACHINE_URL, TIME_MACHINE_SHA1);
    }

    public Path cacheFile() {
        return home.resolve(CACHE_NAME);
    }

    /** The data file to read: {@code data} when given, else the cached or freshly downloaded book. */
    public Path resolve(Path data) {
        if (data != null) return data;
        Path cached = cacheFile();
        if (Files.isRegularFile(cached)) return cached;
        download(cached);
        return cached;
    }

    private void download(Path target) {
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), CACHE_NAME, ".part");
            MessageDigest digest = MessageDigest.getInstance("SHA-1");
            HttpURLConnection conn = (HttpURLConnection) url.toURL().openConnection();
            conn.setConnectTimeout(15_000);
            conn.setReadTimeout(30_000);
            int status = conn.getResponseCode();
            if (status != 200) throw new IOException("HTTP " + status);
            try (InputStream in = conn.getInputStream(); OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    digest.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            String got = HexFormat.of().formatHex(digest.digest());
            if (!got.equals(sha1)) {
                throw new CharlmException("the book downloaded from " + url + " has SHA-1 " + got + ", expected " + sha1
                        + "; nothing was cached. Use --data FILE to point at a local copy of the book");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new CharlmException("cannot download The Time Machine from " + url + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); use --data FILE to point at a local copy of the book", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray .part file is harmless; the cache itself was never touched
                }
            }
        }
    }
}
