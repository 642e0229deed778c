package charlm.serve;

import charlm.CharlmException;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The playground over HTTP (the JDK's com.sun.net.httpserver, no framework): the page and its two
 * files from the jar, and the JSON API beside it. Model work runs on private copies from the
 * {@link ModelPool}; at most {@link Limits#maxInFlight()} requests run at once and the next one gets
 * 503 with Retry-After instead of waiting. Bound to loopback, it answers only requests addressed to
 * localhost (a guard against DNS rebinding), and POSTs must be JSON, which a foreign page cannot send
 * without a CORS preflight that this server never grants. Deliberately left out: TLS, authentication,
 * and defences against slow clients on an open network; bind it to loopback unless you trust the network.
 */
public final class PlaygroundServer implements AutoCloseable {
    private static final String PAGE = "/charlm/serve/";
    /** Nothing on the page may come from anywhere but this server. */
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final long KEEP_ALIVE_MILLIS = 15_000;

    static {
        // Answers and streamed characters are small writes: with Nagle's algorithm on, each waits for the
        // client's delayed ACK (about 40 ms here). Read once, when the JDK's server classes load.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer http;
    private final ThreadPoolExecutor executor;
    private final ModelPool pool;
    private final Curves curves;
    private final Limits limits;
    private final Map<String, Object> about;
    private final boolean loopbackOnly;
    private final Semaphore watchers;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private boolean closed;

    private PlaygroundServer(HttpServer http, ModelPool pool, Curves curves, Limits limits, Map<String, Object> about) {
        this.http = http;
        this.pool = pool;
        this.curves = curves;
        this.limits = limits;
        this.about = about;
        this.loopbackOnly = http.getAddress().getAddress().isLoopbackAddress();
        this.watchers = new Semaphore(limits.maxWatchers());
        for (String name : new String[] {"index.html", "app.js", "style.css"}) files.put(name, resource(name));
        // Threads for every request that may run at once, every page following the curves, and a few for
        // the page's files and refusals; beyond them a short queue, beyond that the connection is closed.
        int threads = limits.maxInFlight() + limits.maxWatchers() + 4;
        AtomicInteger count = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "charlm-serve-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * Listens on address (port 0: any free port) and serves until {@link #close()}.
     *
     * @param about what /api/model says besides the model's shape: where it came from, its settings
     */
    static PlaygroundServer start(InetSocketAddress address, ModelPool pool, Curves curves, Limits limits, Map<String, Object> about) {
        HttpServer http;
        try {
            http = HttpServer.create(address, 64);
        } catch (BindException e) {
            String where = address.getAddress().getHostAddress() + ":" + address.getPort();
            if (String.valueOf(e.getMessage()).contains("in use")) {
                throw new CharlmException("port " + address.getPort() + " on " + address.getAddress().getHostAddress()
                        + " is in use; choose another port (0 picks any free one)", e);
            }
            throw new CharlmException("cannot listen on " + where + " (" + e.getMessage() + "); give an address of this machine, such as 127.0.0.1", e);
        } catch (IOException e) {
            throw new CharlmException("cannot start the server on " + address + ": " + e.getMessage(), e);
        }
        PlaygroundServer s = new PlaygroundServer(http, pool, curves, limits, about);
        http.start();
        return s;
    }

    /**
     * Serves a saved model: `charlm serve`. history holds the run's epochs from its metrics.csv (empty
     * for a model file alone); the page shows them as curves and says curvesNote beneath.
     */
    public static PlaygroundServer forModel(InetSocketAddress address, Checkpoint.Loaded loaded, String source, List<EpochStats> history,
                                            List<Evaluation> scores, String curvesNote, Limits limits) {
        ModelPool pool = new ModelPool(loaded.model(), loaded.vocab(), loaded.tokenizer(), limits.maxInFlight(), epochOf(loaded));
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("source", source);
        about.put("settings", settingsOf(loaded));
        return start(address, pool, Curves.done(history, scores, curvesNote), limits, about);
    }

    private static int epochOf(Checkpoint.Loaded loaded) {
        try {
            return Integer.parseInt(loaded.metadata().getOrDefault("epoch", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The run's settings as the checkpoint records them (the book's where it records none, as the reference's). */
    private static Object settingsOf(Checkpoint.Loaded loaded) {
        return wholeNumbers(loaded.settings().toJson());
    }

    /** JSON numbers come back as doubles; settings such as 512 should read "512", not "512.0". */
    private static Object wholeNumbers(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return d.longValue();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), wholeNumbers(e.getValue()));
            return out;
        }
        return v;
    }

    /** Where the page is, e.g. http://127.0.0.1:8080/. */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        InetAddress ip = a.getAddress();
        String host = ip.isAnyLocalAddress() ? "127.0.0.1" : ip.getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    public int port() {
        return http.getAddress().getPort();
    }

    ModelPool pool() {
        return pool;
    }

    /** Stops: pages following the curves get a last event (up to a second to send it), then every connection closes. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        curves.closeWatchers();
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (watchers.availablePermits() < limits.maxWatchers() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ routing

    private void handle(HttpExchange ex) {
        try {
            checkHost(ex);
            String path = ex.getRequestURI().getPath();
            switch (path) {
                case "/", "/index.html" -> file(ex, "index.html", "text/html; charset=utf-8");
                case "/app.js" -> file(ex, "app.js", "text/javascript; charset=utf-8");
                case "/style.css" -> file(ex, "style.css", "text/css; charset=utf-8");
                case "/api/model" -> {
                    method(ex, "GET");
                    json(ex, 200, model());
                }
                case "/api/curves" -> {
                    method(ex, "GET");
                    json(ex, 200, curves.json());
                }
                case "/api/events" -> {
                    method(ex, "GET");
                    events(ex);
                }
                case "/api/generate" -> generate(ex, false);
                case "/api/generate/stream" -> generate(ex, true);
                case "/api/score" -> score(ex);
                default -> throw new ApiError(404, "nothing at " + path + "; the page is / and the API is GET /api/model, GET /api/curves, "
                        + "GET /api/events, POST /api/generate, POST /api/generate/stream, POST /api/score");
            }
        } catch (ApiError e) {
            if (ex.getResponseCode() == -1) error(ex, e);
        } catch (IOException | UncheckedIOException e) {
            // the client went away; there is no one to tell
        } catch (RuntimeException e) {
            System.err.println("charlm serve: " + ex.getRequestMethod() + " " + ex.getRequestURI() + " failed: " + e);
            if (ex.getResponseCode() == -1) error(ex, new ApiError(500, "the server failed on this request (" + e + "); please report it"));
        } finally {
            ex.close();
        }
    }

    private void checkHost(HttpExchange ex) {
        if (!loopbackOnly) return;
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null) return;
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) name = name.substring(0, name.indexOf(']') + 1);
        else if (name.contains(":")) name = name.substring(0, name.indexOf(':'));
        if (name.equals("localhost") || name.equals("[::1]") || name.matches("127(\\.\\d{1,3}){3}")) return;
        throw new ApiError(403, "this server listens on loopback and answers only requests addressed to localhost or 127.0.0.1, not '"
                + Fields.shown(host).replace("\"", "") + "'; open http://127.0.0.1:" + port() + "/");
    }

    private static void method(HttpExchange ex, String allowed) {
        if (!ex.getRequestMethod().equals(allowed)) {
            ex.getResponseHeaders().set("Allow", allowed);
            throw new ApiError(405, ex.getRequestMethod() + " is not allowed on " + ex.getRequestURI().getPath() + "; use " + allowed);
        }
    }

    // ------------------------------------------------------------------ the page

    private void file(HttpExchange ex, String name, String type) throws IOException {
        method(ex, "GET");
        byte[] bytes = files.get(name);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("Content-Security-Policy", CSP);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static byte[] resource(String name) {
        try (InputStream in = PlaygroundServer.class.getResourceAsStream(PAGE + name)) {
            if (in == null) throw new IllegalStateException("the jar lacks " + PAGE + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ the API

    private Map<String, Object> model() {
        Map<String, Object> m = new LinkedHashMap<>();
        var c = pool.config();
        m.put("cell", c.cell().name());
        m.put("layers", c.layers());
        m.put("hiddens", c.hiddens());
        m.put("activation", c.activation().cliName());
        m.put("input", c.input().cliName());
        m.put("embed_dim", c.embedDim());
        m.put("tokenizer", pool.tokenizer().cliName());
        m.put("vocab_size", c.vocabSize());
        m.put("vocab", pool.vocab().tokens());
        m.put("parameters", pool.parameterCount());
        m.put("epoch", pool.current().epoch());
        m.put("training", curves.isLive());
        m.putAll(about);
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("max_body_bytes", limits.maxBodyBytes());
        l.put("max_prefix_chars", limits.maxPrefixChars());
        l.put("max_length", limits.maxLength());
        l.put("max_score_chars", limits.maxScoreChars());
        l.put("max_in_flight", limits.maxInFlight());
        l.put("max_watchers", limits.maxWatchers());
        m.put("limits", l);
        m.put("defaults", Map.of("prefix", charlm.generate.Predictor.PROBE_PREFIX, "length", charlm.generate.Predictor.PROBE_LENGTH));
        return m;
    }

    private void generate(HttpExchange ex, boolean stream) throws IOException {
        method(ex, "POST");
        Api.Generate q = Api.generateRequest(body(ex), limits);
        ModelPool.Replica replica = borrow();
        if (!stream) {
            Map<String, Object> answer;
            try (replica) {
                answer = Api.generate(replica, q, pool.vocab(), pool.tokenizer(), token -> { });
            }
            json(ex, 200, answer);
            return;
        }
        OutputStream out;
        try {
            out = startEvents(ex);
        } catch (IOException | RuntimeException e) {
            replica.close();
            throw e;
        }
        Map<String, Object> answer;
        try (replica) {
            Map<String, Object> start = new LinkedHashMap<>();
            start.put("prefix", Api.prompt(q.prefix(), pool.vocab(), pool.tokenizer()));
            start.put("epoch", replica.epoch());
            event(out, "start", Json.write(start));
            answer = Api.generate(replica, q, pool.vocab(), pool.tokenizer(), token -> {
                try {
                    event(out, "token", Json.write(Map.of("t", token)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // the page went away: stop generating
                }
            });
        } catch (UncheckedIOException e) {
            throw e;
        } catch (RuntimeException e) {
            // The status line is sent; say it in the stream, then let handle() log it.
            event(out, "error", Json.write(Map.of("error", "generation failed (" + e + "); please report it")));
            throw e;
        }
        event(out, "done", Json.write(answer));
    }

    private void score(HttpExchange ex) throws IOException {
        method(ex, "POST");
        String text = Api.scoreRequest(body(ex), limits);
        Map<String, Object> answer;
        try (ModelPool.Replica replica = borrow()) {
            answer = Api.score(replica, text, pool.vocab(), pool.tokenizer());
        }
        json(ex, 200, answer);
    }

    private ModelPool.Replica borrow() {
        ModelPool.Replica r = pool.tryBorrow();
        if (r == null) {
            throw new ApiError(503, limits.maxInFlight() + " requests are already being served, the limit (serve --max-in-flight); "
                    + "retry in a moment", "1");
        }
        return r;
    }

    /** Follows the curves: every epoch so far, then each new one, until the run ends or the page leaves. */
    private void events(HttpExchange ex) throws IOException {
        if (!watchers.tryAcquire()) {
            throw new ApiError(503, limits.maxWatchers() + " pages are already following this run, the limit; close one and retry", "5");
        }
        Curves.Watcher w = curves.watch();
        try {
            OutputStream out = startEvents(ex);
            out.write("retry: 3000\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Curves.Event e = w.next(KEEP_ALIVE_MILLIS);
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8)); // finds pages that left
                    out.flush();
                    continue;
                }
                event(out, e.name(), e.json());
                if (e.name().equals("end")) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the server is stopping
        } finally {
            curves.unwatch(w);
            watchers.release();
        }
    }

    // ------------------------------------------------------------------ HTTP

    /** The request body as text: JSON, within the size limit, valid UTF-8. */
    private String body(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "send the body as JSON with the header Content-Type: application/json (got "
                    + (type == null ? "none" : Fields.shown(type)) + ")");
        }
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        String tooLarge = "the body is larger than " + limits.maxBodyBytes() + " bytes, the limit; send less";
        try {
            if (length != null && Long.parseLong(length.strip()) > limits.maxBodyBytes()) throw new ApiError(413, tooLarge);
        } catch (NumberFormatException e) {
            throw new ApiError(400, "the Content-Length header is not a number");
        }
        byte[] bytes = ex.getRequestBody().readNBytes(limits.maxBodyBytes() + 1);
        if (bytes.length > limits.maxBodyBytes()) throw new ApiError(413, tooLarge);
        ex.setAttribute(BODY_READ, Boolean.TRUE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ApiError(400, "the body is not valid UTF-8; send JSON text in UTF-8");
        }
    }

    private static void json(HttpExchange ex, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** An exchange attribute, set once {@link #body} has read the request's body to its end. */
    private static final String BODY_READ = "charlm.bodyRead";

    private static void error(HttpExchange ex, ApiError e) {
        try {
            if (e.retryAfter != null) ex.getResponseHeaders().set("Retry-After", e.retryAfter);
            // An answer before the body is read (too large, wrong type, wrong path) leaves it on the
            // connection; the JDK's server drains 64 KB of it and closes the connection when there is
            // more. The client must hear that, or it sends its next request on a closed connection.
            if (bodyLeftUnread(ex)) ex.getResponseHeaders().set("Connection", "close");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", e.getMessage());
            json(ex, e.status, body);
        } catch (IOException ignored) {
            // the client went away
        }
    }

    /** Whether the request came with a body that {@link #body} has not read to its end. */
    private static boolean bodyLeftUnread(HttpExchange ex) {
        if (ex.getAttribute(BODY_READ) != null) return false;
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        return ex.getRequestHeaders().containsKey("Transfer-Encoding") || length != null && !length.strip().equals("0");
    }

    private static OutputStream startEvents(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(200, 0); // chunked: the length is not known
        return ex.getResponseBody();
    }

    /** One server-sent event; the JSON data has no raw line breaks, so it is one data line. */
    private static void event(OutputStream out, String name, String json) throws IOException {
        out.write(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
