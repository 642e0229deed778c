package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import charlm.run.RunDirectory;
import charlm.testing.SharedData;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** charlm serve and train --serve from the command line: bad input is one line and exit 2; a server answers and stops. */
class ServeCommandTest {
    static final Pattern URL = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/)");
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path shared;
    static Path book;
    static Path run;
    static String model;

    @BeforeAll
    static void trainOnce() {
        book = SharedData.textFile(shared);
        run = shared.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", run.toString())).ok();
        model = run.resolve(RunDirectory.MODEL).toString();
    }

    static String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void servesARunUntilStopped() throws Exception {
        LiveOutput.Running serve = LiveOutput.start("serve", "--run", run.toString(), "--port", "0");
        URI base = URI.create(serve.out().await(URL, WAIT));
        assertThat(get(base.resolve("/api/model"))).contains("\"cell\":\"rnn\"", "\"hiddens\":16");
        assertThat(get(base.resolve("/api/curves"))).contains("\"epoch\":1", "\"epoch\":2");
        assertThat(get(base)).contains("charlm playground");
        serve.thread().interrupt();
        assertThat(serve.exitCode(WAIT)).isZero();
        assertThat(serve.err().toString()).isEmpty();
        // the port is free again: at once as a rule, but the JDK's HttpServer closes its listening
        // channel through its selector, so on a busy machine the port can stay bound a moment after
        // the command has returned (seen once in a full build); a port still held after WAIT fails.
        assertThat(bindsWithin(base.getPort(), WAIT)).as("port " + base.getPort() + " released").isTrue();
    }

    /** Whether a listening socket can be bound to port on loopback, trying until the time is up. */
    private static boolean bindsWithin(int port, Duration time) throws InterruptedException {
        long deadline = System.nanoTime() + time.toNanos();
        while (true) {
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return again.getLocalPort() == port;
            } catch (IOException stillBound) {
                if (System.nanoTime() > deadline) return false;
                Thread.sleep(20);
            }
        }
    }

    @Test
    void servesAModelFileWithoutCurves() throws Exception {
        LiveOutput.Running serve = LiveOutput.start("serve", "--model", model, "--port", "0", "--max-in-flight", "2");
        URI base = URI.create(serve.out().await(URL, WAIT));
        assertThat(get(base.resolve("/api/curves"))).contains("\"epochs\":[]", "serve --run DIR");
        assertThat(get(base.resolve("/api/model"))).contains("\"max_in_flight\":2");
        serve.thread().interrupt();
        assertThat(serve.exitCode(WAIT)).isZero();
    }

    @Test
    void neitherOrBothModelAndRun() {
        Cli.run("serve").refused("--model", "--run");
        Cli.run("serve", "--model", model, "--run", run.toString()).refused("--model", "--run");
    }

    @Test
    void aMissingModelOrRun() {
        Cli.run("serve", "--model", shared.resolve("nothing.safetensors").toString()).refused("does not exist");
        Cli.run("serve", "--run", shared.resolve("no-run").toString()).refused("not a folder");
        Cli.run("serve", "--run", shared.toString()).refused("has no model.safetensors");
    }

    @Test
    void aPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.run("serve", "--model", model, "--port", Integer.toString(taken.getLocalPort())).refused("in use", "port");
        }
    }

    @Test
    void badPortsHostsAndLimits() {
        Cli.run("serve", "--model", model, "--port", "70000").refused("--port");
        Cli.run("serve", "--model", model, "--port", "-1").refused("--port");
        Cli.run("serve", "--model", model, "--port", "eighty").refused("--port");
        Cli.run("serve", "--model", model, "--host", "bad host").refused("--host");
        Cli.run("serve", "--model", model, "--host", "no-such-host.invalid").refused("--host", "does not resolve");
        Cli.run("serve", "--model", model, "--host", "192.0.2.1", "--port", "0").refused("cannot listen", "192.0.2.1");
        Cli.run("serve", "--model", model, "--max-in-flight", "0").refused("--max-in-flight");
    }

    @Test
    void aDamagedMetricsFileIsRefused() throws IOException {
        Path broken = shared.resolve("broken-run");
        Files.createDirectories(broken);
        Files.copy(Path.of(model), broken.resolve(RunDirectory.MODEL));
        Files.writeString(broken.resolve(RunDirectory.METRICS), "epoch,perplexity,tokens_per_sec\n1,abc,3\n");
        Cli.run("serve", "--run", broken.toString()).refused("metrics.csv", "damaged");
    }

    @Test
    void trainServesWhileItTrainsAndStopsWithIt() throws Exception {
        Path out = shared.resolve("served-run");
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--serve", "0")).ok();
        assertThat(r.out()).containsPattern("serving the live view at http://127\\.0\\.0\\.1:\\d+/");
        assertThat(out.resolve(RunDirectory.MODEL)).exists();
    }

    /**
     * train --serve with workers: the rounds feed the live page as a one-process run's minibatches do. Held at epoch
     * 2's line, the page has both epochs and every held-out score steps.csv ends up with up to there, at the rounds' steps.
     */
    @Test
    void trainWithWorkersServesItsRoundsLive() throws Exception {
        LiveOutput out = new LiveOutput();
        out.holdAt(line -> line.startsWith("epoch 2:"));
        Path dir = shared.resolve("served-workers");
        LiveOutput.Running train = LiveOutput.start(out, Cli.tinyWith("train", "--data", book.toString(), "--out", dir.toString(), "--epochs", "3",
                "--val-fraction", "0.1", "--eval-every", "10", "--workers", "2", "--sync-every", "5", "--outer-optimizer", "sgd", "--outer-lr", "1",
                "--outer-momentum", "0", "--serve", "0"));
        Map<?, ?> curves;
        try {
            URI base = URI.create(out.await(URL, WAIT));
            out.awaitHeld(WAIT);
            curves = (Map<?, ?>) Json.parse(get(base.resolve("/api/curves")));
        } finally {
            out.release();
        }
        assertThat(train.exitCode(WAIT)).as(train.err().toString()).isZero();
        assertThat(curves.get("live")).isEqualTo(true);
        assertThat((List<?>) curves.get("epochs")).hasSize(2);
        List<Long> live = ((List<?>) curves.get("evaluations")).stream().map(e -> ((Number) ((Map<?, ?>) e).get("step")).longValue()).toList();
        List<Long> written = Files.readAllLines(dir.resolve(RunDirectory.STEPS)).stream().skip(1).map(r -> r.split(","))
                .filter(r -> Double.parseDouble(r[1]) <= 2).map(r -> Long.parseLong(r[0])).toList();
        // what the page had when the run printed epoch 2: every score the run wrote up to that epoch's end
        assertThat(live).hasSizeGreaterThan(4).isEqualTo(written);
    }

    @Test
    void trainRefusesABadServePort() throws IOException {
        Path out = shared.resolve("bad-port-run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString(), "--serve", "70000")).refused("--serve port");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", shared.resolve("busy-run").toString(), "--serve",
                    Integer.toString(taken.getLocalPort()))).refused("in use");
        }
    }
}
