package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download-once cache, against a server on loopback that plays the book's data URL. */
class BookSourceTest {
    @TempDir
    Path home;
    private HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();
    private final byte[] book = "The Time Machine, by H. G. Wells\n".getBytes(StandardCharsets.UTF_8);

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/timemachine.txt", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, book.length);
            ex.getResponseBody().write(book);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/timemachine.txt");
    }

    private static String sha1(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b));
    }

    @Test
    void downloadsOnceChecksAndCaches() throws Exception {
        BookSource s = new BookSource(home, url(), sha1(book));
        Path p = s.resolve(null);
        assertThat(Files.readAllBytes(p)).isEqualTo(book);
        assertThat(s.resolve(null)).isEqualTo(p);
        assertThat(hits.get()).isEqualTo(1);
        try (var files = Files.list(home)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(BookSource.CACHE_NAME);
        }
    }

    @Test
    void aLocalFileWinsWithoutAnyDownload() {
        Path mine = home.resolve("mine.txt");
        assertThat(new BookSource(home, url(), "0").resolve(mine)).isEqualTo(mine);
        assertThat(hits.get()).isZero();
    }

    @Test
    void aWrongChecksumCachesNothingAndPointsAtData() {
        BookSource s = new BookSource(home, url(), "0000000000000000000000000000000000000000");
        assertThatThrownBy(() -> s.resolve(null)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("SHA-1").hasMessageContaining("--data");
        assertThat(home.resolve(BookSource.CACHE_NAME)).doesNotExist();
        try (var files = Files.list(home)) {
            assertThat(files).isEmpty();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void noNetworkSaysToUseData() {
        server.stop(0);
        BookSource s = new BookSource(home, url(), "0");
        assertThatThrownBy(() -> s.resolve(null)).isInstanceOf(CharlmException.class)
                .hasMessageContaining("cannot download").hasMessageContaining("--data");
    }

    @Test
    void theRealUrlAndChecksumAreTheBooks() {
        assertThat(BookSource.TIME_MACHINE_URL.toString()).isEqualTo("http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt");
        assertThat(BookSource.TIME_MACHINE_SHA1).isEqualTo("090b5e7e70c295757f55df93cb0a180b9691891a");
    }
}
