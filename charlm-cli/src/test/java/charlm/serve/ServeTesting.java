package charlm.serve;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.cli.Main;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.testing.SharedData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What the serve tests share: a tiny trained model, the command line in-process, and an HTTP client for 127.0.0.1. */
final class ServeTesting {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private ServeTesting() {
    }

    /** charlm's stdout for args; fails on a non-zero exit. */
    static String charlm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(args, o, e);
        }
        assertThat(code).as("charlm %s; stderr: %s", String.join(" ", args), err).isZero();
        return out.toString();
    }

    static String lastLine(String out) {
        List<String> lines = out.lines().toList();
        return lines.get(lines.size() - 1);
    }

    /** A tiny run (as the CLI tests train) in dir/run; returns the run folder. */
    static Path trainTiny(Path dir, String... extra) {
        return trainTiny(dir, 16, extra);
    }

    static Path trainTiny(Path dir, int hiddens, String... extra) {
        Path run = dir.resolve("run");
        String[] base = {"train", "--data", SharedData.textFile(dir).toString(), "--out", run.toString(), "--hiddens", Integer.toString(hiddens), "--epochs", "3",
                "--batch-size", "4", "--num-steps", "5", "--max-tokens", "2000"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        charlm(all);
        return run;
    }

    static Checkpoint.Loaded load(Path file) {
        return Checkpoint.load(file, Kernels.get(), Workers.serial());
    }

    /** A server on a free loopback port for the model file. */
    static PlaygroundServer serve(Path file, Limits limits) {
        return PlaygroundServer.forModel(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), load(file), file.toString(), List.of(), List.of(),
                "no run", limits);
    }

    record Response(int status, String body, HttpResponse<String> raw) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            return (Map<String, Object>) Json.parse(body);
        }

        String error() {
            assertThat(status).as("status of %s", body).isBetween(400, 599);
            Object e = json().get("error");
            assertThat(e).as("error in %s", body).isInstanceOf(String.class);
            return (String) e;
        }
    }

    static Response post(URI base, String path, String json) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static Response get(URI base, String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET().build());
    }

    /** Sends bytes as they are (headers the HTTP client will not set) and returns the whole answer. */
    static String raw(int port, String request) {
        try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
