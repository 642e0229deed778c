package charlm.serve;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON API against its oracles, `charlm generate` and `charlm eval` run in-process on the same
 * checkpoint, and every limit: a 4xx JSON error that names what is wrong.
 */
class ServeApiTest {
    @TempDir
    static Path dir;
    static Path model;
    static PlaygroundServer server;
    static URI base;

    @BeforeAll
    static void start() {
        model = ServeTesting.trainTiny(dir).resolve("model.safetensors");
        server = ServeTesting.serve(model, Limits.standard(4));
        base = server.uri();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** The same request as API JSON and as generate's options. */
    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of("{}", new String[] {}),
                Arguments.of("{\"prefix\": \"the time\", \"length\": 30}", new String[] {"--prefix", "the time", "--num-preds", "30"}),
                Arguments.of("{\"prefix\": \"The Time Machine!\", \"length\": 20}", new String[] {"--prefix", "The Time Machine!", "--num-preds", "20"}),
                Arguments.of("{\"length\": 0}", new String[] {"--num-preds", "0"}),
                Arguments.of("{\"strategy\": \"sample\", \"seed\": 7, \"length\": 60}", new String[] {"--strategy", "sample", "--seed", "7", "--num-preds", "60"}),
                Arguments.of("{\"strategy\": \"sample\", \"temperature\": 0.7, \"seed\": 1}", new String[] {"--strategy", "sample", "--temperature", "0.7", "--seed", "1"}),
                Arguments.of("{\"strategy\": \"sample\", \"alpha\": 0.5, \"top_k\": 3, \"seed\": 42}",
                        new String[] {"--strategy", "sample", "--alpha", "0.5", "--top-k", "3", "--seed", "42"}),
                Arguments.of("{\"strategy\": \"SAMPLE\", \"seed\": -5, \"prefix\": \"x\"}", new String[] {"--strategy", "SAMPLE", "--seed", "-5", "--prefix", "x"}),
                Arguments.of("{\"prefix\": \"traveller\", \"length\": 2000}", new String[] {"--prefix", "traveller", "--num-preds", "2000"}),
                Arguments.of("{\"top_k\": 0, \"length\": 10}", new String[] {"--top-k", "0", "--num-preds", "10"}));
    }

    @ParameterizedTest
    @MethodSource("requests")
    void generateGivesTheTextOfTheGenerateCommand(String json, String[] options) {
        String[] args = new String[options.length + 3];
        args[0] = "generate";
        args[1] = "--model";
        args[2] = model.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        String expected = ServeTesting.lastLine(ServeTesting.charlm(args));
        ServeTesting.Response r = ServeTesting.post(base, "/api/generate", json);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Map<String, Object> answer = r.json();
        assertThat(answer.get("text")).isEqualTo(expected);
        assertThat((String) answer.get("prefix") + answer.get("generated")).isEqualTo(expected);
        assertThat(r.raw().headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    }

    @ParameterizedTest
    @MethodSource("requests")
    void theStreamCarriesTheSameText(String json, String[] ignored) {
        String plain = (String) ServeTesting.post(base, "/api/generate", json).json().get("text");
        ServeTesting.Response r = ServeTesting.post(base, "/api/generate/stream", json);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        StringBuilder text = new StringBuilder();
        String done = null;
        for (String block : r.body().split("\n\n")) {
            String name = block.lines().filter(l -> l.startsWith("event: ")).findFirst().orElseThrow().substring(7);
            Map<?, ?> data = (Map<?, ?>) Json.parse(block.lines().filter(l -> l.startsWith("data: ")).findFirst().orElseThrow().substring(6));
            switch (name) {
                case "start" -> text.append(data.get("prefix"));
                case "token" -> text.append(data.get("t"));
                case "done" -> done = (String) data.get("text");
                default -> throw new AssertionError("unexpected event " + block);
            }
        }
        assertThat(text.toString()).isEqualTo(plain);
        assertThat(done).isEqualTo(plain);
    }

    @Test
    void thePrefixIsCleanedAsTheModelsTextWasAndOneWithNothingLeftIsRefused() {
        Map<String, Object> a = ServeTesting.post(base, "/api/generate", "{\"prefix\": \"Hi, Time!\", \"length\": 3}").json();
        assertThat((String) a.get("prefix")).isEqualTo("hi time");
        assertThat((String) a.get("text")).startsWith("hi time").hasSize("hi time".length() + 3);
        var refused = ServeTesting.post(base, "/api/generate", "{\"prefix\": \"?!\", \"length\": 3}");
        assertThat(refused.status()).isEqualTo(400);
        assertThat((String) refused.json().get("error")).contains("prefix").contains("nothing the model reads");
    }

    @Test
    void scoreIsThePerplexityOfEval() throws IOException {
        String text = "The Time Traveller (for so it will be convenient to speak of him)\nwas expounding a recondite matter to us.";
        Path file = dir.resolve("score.txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        String eval = ServeTesting.lastLine(ServeTesting.charlm("eval", "--model", model.toString(), "--data", file.toString(), "--max-tokens", "0"));
        Map<String, Object> a = ServeTesting.post(base, "/api/score", Json.write(Map.of("text", text))).json();
        double ppl = (Double) a.get("perplexity");
        assertThat(String.format(Locale.ROOT, "perplexity %.6f", ppl)).isEqualTo(eval);
        assertThat((Double) a.get("nats_per_char")).isCloseTo(Math.log(ppl), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(((Double) a.get("predictions")).intValue()).isEqualTo(((Double) a.get("tokens")).intValue() - 1);
    }

    @Test
    void modelDescribesItself() {
        Map<String, Object> m = ServeTesting.get(base, "/api/model").json();
        assertThat(m.get("cell")).isEqualTo("rnn");
        assertThat(m.get("hiddens")).isEqualTo(16.0);
        List<?> vocab = (List<?>) m.get("vocab");
        assertThat(vocab.get(0)).isEqualTo("<unk>");
        assertThat(m.get("vocab_size")).isEqualTo((double) vocab.size());
        int v = vocab.size(), h = 16;
        assertThat(m.get("parameters")).isEqualTo((double) (v * h + h * h + h + h * v + v));
        assertThat(m.get("epoch")).isEqualTo(3.0);
        assertThat(m.get("training")).isEqualTo(false);
        assertThat(((Map<?, ?>) m.get("settings")).get("hiddens")).isEqualTo(16.0);
        assertThat(((Map<?, ?>) m.get("limits")).get("max_length")).isEqualTo((double) Limits.MAX_LENGTH);
    }

    @Test
    void thePageAndItsFilesComeFromTheJar() {
        ServeTesting.Response page = ServeTesting.get(base, "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("<title>charlm playground</title>", "app.js", "style.css").doesNotContain("http://", "https://");
        assertThat(page.raw().headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'none'", "connect-src 'self'");
        for (String f : new String[] {"/app.js", "/style.css"}) {
            ServeTesting.Response r = ServeTesting.get(base, f);
            assertThat(r.status()).isEqualTo(200);
            // nothing from elsewhere: the one URL is the SVG namespace, a name, never fetched
            assertThat(r.body().replace("\"http://www.w3.org/2000/svg\"", "")).doesNotContain("http:", "https:", "//cdn").isNotBlank();
        }
    }

    // ------------------------------------------------------------------ refusals

    static Stream<Arguments> badGenerate() {
        String longPrefix = "a".repeat(Limits.MAX_PREFIX_CHARS + 1);
        return Stream.of(
                Arguments.of("{\"length\": 2001}", "length", "2000"),
                Arguments.of("{\"length\": -1}", "length", "from 0"),
                Arguments.of("{\"length\": 2.5}", "length", "whole number"),
                Arguments.of("{\"length\": \"50\"}", "length", "a string"),
                Arguments.of("{\"prefix\": 12}", "prefix", "must be a string"),
                Arguments.of("{\"prefix\": \"\"}", "prefix", "empty"),
                Arguments.of("{\"prefix\": \"" + longPrefix + "\"}", "prefix", "limit of 1000"),
                Arguments.of("{\"lenght\": 5}", "unknown field 'lenght'", "prefix, length"),
                Arguments.of("{\"strategy\": \"beam\"}", "strategy", "greedy"),
                Arguments.of("{\"temperature\": 0.5}", "temperature", "sample"),
                Arguments.of("{\"top_k\": 3}", "top_k", "sample"),
                Arguments.of("{\"strategy\": \"sample\", \"temperature\": 0}", "temperature", "greater than 0"),
                Arguments.of("{\"strategy\": \"sample\", \"temperature\": 1, \"alpha\": 1}", "temperature or alpha", "not both"),
                Arguments.of("{\"strategy\": \"sample\", \"alpha\": true}", "alpha", "boolean"),
                Arguments.of("{\"strategy\": \"sample\", \"top_k\": -2}", "top_k", "from 0"),
                Arguments.of("{\"strategy\": \"sample\", \"seed\": 1e300}", "seed", "from"),
                Arguments.of("{\"strategy\": \"sample\", \"seed\": [1]}", "seed", "an array"),
                Arguments.of("{\"prefix\": \"abc\"", "not valid JSON", "object"),
                Arguments.of("[1, 2]", "JSON object", "an array"),
                Arguments.of("", "not valid JSON", "object"),
                Arguments.of("{\"prefix\": " + "[".repeat(20) + "]".repeat(20) + "}", "nests deeper", "flat"));
    }

    @ParameterizedTest
    @MethodSource("badGenerate")
    void badRequestsGet400AndSayWhy(String json, String mention1, String mention2) {
        for (String path : new String[] {"/api/generate", "/api/generate/stream"}) {
            ServeTesting.Response r = ServeTesting.post(base, path, json);
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.error()).containsIgnoringCase(mention1).containsIgnoringCase(mention2);
        }
    }

    @Test
    void badScoreRequests() {
        assertThat(ServeTesting.post(base, "/api/score", "{}").error()).contains("'text' is missing");
        assertThat(ServeTesting.post(base, "/api/score", "{\"text\": \"a\"}").error()).contains("at least 2");
        assertThat(ServeTesting.post(base, "/api/score", "{\"text\": \"!!! ???\"}").error()).contains("letters cleaning");
        assertThat(ServeTesting.post(base, "/api/score", "{\"text\": 5}").error()).contains("must be a string");
        assertThat(ServeTesting.post(base, "/api/score", "{\"text\": \"ab\", \"x\": 1}").error()).contains("unknown field 'x'");
        String tooLong = Json.write(Map.of("text", "ab ".repeat(Limits.MAX_SCORE_CHARS / 3 + 1)));
        ServeTesting.Response r = ServeTesting.post(base, "/api/score", tooLong);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("limit of 20000");
    }

    /**
     * A body over the limit is refused unread, and the answer says the connection closes (the server
     * does not read that much to keep it): without it the client's next request went out on the
     * closed connection and failed ("header parser received no bytes", once in a CI run). A refused
     * request whose body was read keeps its connection.
     */
    @Test
    void aBodyOverTheLimitGets413() {
        String big = "{\"prefix\": \"" + "a".repeat(Limits.MAX_BODY_BYTES) + "\"}";
        ServeTesting.Response r = ServeTesting.post(base, "/api/generate", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).contains(Integer.toString(Limits.MAX_BODY_BYTES));
        assertThat(r.raw().headers().firstValue("Connection")).hasValue("close");
        ServeTesting.Response next = ServeTesting.post(base, "/api/score", "{\"text\": \"ab\"}");
        assertThat(next.status()).as(next.body()).isEqualTo(200);
        ServeTesting.Response read = ServeTesting.post(base, "/api/score", "{}");
        assertThat(read.status()).isEqualTo(400);
        assertThat(read.raw().headers().firstValue("Connection")).isEmpty();
    }

    @Test
    void bodiesMustBeJsonInUtf8() {
        ServeTesting.Response r = ServeTesting.send(HttpRequest.newBuilder(base.resolve("/api/generate")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(r.status()).isEqualTo(415);
        assertThat(r.error()).contains("Content-Type: application/json");
        r = ServeTesting.send(HttpRequest.newBuilder(base.resolve("/api/generate")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', (byte) 0xff, '"', '}'})).build());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("UTF-8");
    }

    @Test
    void wrongPathsAndMethods() {
        ServeTesting.Response r = ServeTesting.get(base, "/api/nothing");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).contains("/api/generate");
        r = ServeTesting.get(base, "/api/generate");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.raw().headers().firstValue("Allow")).hasValue("POST");
        r = ServeTesting.post(base, "/api/model", "{}");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.raw().headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void requestsForAnotherHostAreRefused() {
        // A page on evil.example resolving its name to 127.0.0.1 (DNS rebinding) sends its own name as Host.
        String answer = ServeTesting.raw(server.port(), "GET /api/model HTTP/1.1\r\nHost: evil.example:" + server.port()
                + "\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 403").contains("localhost or 127.0.0.1");
        answer = ServeTesting.raw(server.port(), "GET /api/model HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200");
    }

    @Test
    void beyondTheInFlightLimitComes503WithRetryAfter() {
        List<ModelPool.Replica> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) held.add(server.pool().tryBorrow());
            assertThat(held).doesNotContainNull();
            assertThat(server.pool().tryBorrow()).isNull();
            for (String path : new String[] {"/api/generate", "/api/generate/stream", "/api/score"}) {
                ServeTesting.Response r = ServeTesting.post(base, path, path.endsWith("score") ? "{\"text\": \"the time\"}" : "{}");
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.raw().headers().firstValue("Retry-After")).hasValue("1");
                assertThat(r.error()).contains("4 requests", "retry");
            }
            // The page and the model's description do not wait for a model copy.
            assertThat(ServeTesting.get(base, "/api/model").status()).isEqualTo(200);
        } finally {
            held.forEach(ModelPool.Replica::close);
        }
        assertThat(ServeTesting.post(base, "/api/generate", "{}").status()).isEqualTo(200);
    }
}
