package charlm.serve;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load on 127.0.0.1, bounded in count and time: clients hammer generate and score at once, and every
 * answer must equal the one the same request got alone. Prints requests/s, latency and resident
 * memory; asserts only correctness and the absence of errors, never a speed.
 */
class ServeLoadTest {
    static final int CLIENTS = 8, REQUESTS_PER_CLIENT = 200;

    @TempDir
    static Path dir;
    static Path model;
    static final List<String[]> REQUESTS = new ArrayList<>(); // {path, body}

    @BeforeAll
    static void train() {
        model = ServeTesting.trainTiny(dir, 64).resolve("model.safetensors");
        String[] prefixes = {"time traveller", "the time machine", "The Psychologist!", "x", "and it was"};
        for (int i = 0; i < 12; i++) {
            String prefix = prefixes[i % prefixes.length];
            String body = i % 3 == 0
                    ? "{\"prefix\": " + Json.write(prefix) + ", \"length\": 100}"
                    : "{\"prefix\": " + Json.write(prefix) + ", \"length\": 100, \"strategy\": \"sample\", \"temperature\": " + (0.5 + 0.1 * i)
                    + ", \"top_k\": " + (i % 4) + ", \"seed\": " + i + "}";
            REQUESTS.add(new String[] {"/api/generate", body});
        }
        REQUESTS.add(new String[] {"/api/score", "{\"text\": \"the time traveller for so it will be convenient to speak of him\"}"});
        REQUESTS.add(new String[] {"/api/score", "{\"text\": \"was expounding a recondite matter to us his grey eyes shone and twinkled\"}"});
    }

    /** Each request's answer when it runs alone. */
    private static List<String> sequentialAnswers(URI base) {
        List<String> expected = new ArrayList<>();
        for (String[] r : REQUESTS) {
            ServeTesting.Response a = ServeTesting.post(base, r[0], r[1]);
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            expected.add(a.body());
        }
        return expected;
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void concurrentClientsBelowTheLimitGetTheSequentialAnswersAndNoErrors() throws Exception {
        try (PlaygroundServer server = ServeTesting.serve(model, Limits.standard(CLIENTS))) {
            URI base = server.uri();
            List<String> expected = sequentialAnswers(base);
            long rssBefore = residentKilobytes();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            long[] latencies = new long[CLIENTS * REQUESTS_PER_CLIENT];
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            long start = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int k = 0; k < REQUESTS_PER_CLIENT; k++) {
                        int which = (client * 7 + k) % REQUESTS.size();
                        long t0 = System.nanoTime();
                        ServeTesting.Response a = ServeTesting.post(base, REQUESTS.get(which)[0], REQUESTS.get(which)[1]);
                        latencies[client * REQUESTS_PER_CLIENT + k] = System.nanoTime() - t0;
                        if (a.status() != 200) errors.add(a.status() + " " + a.body());
                        else if (!a.body().equals(expected.get(which))) errors.add("request " + which + " answered " + a.body() + " instead of " + expected.get(which));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(4, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            clients.shutdown();
            long rssAfter = residentKilobytes();
            Arrays.sort(latencies);
            int n = latencies.length;
            System.out.printf(Locale.ROOT, "serve load: %d clients x %d requests (H = 64, 100 characters or a 60-character score each): "
                            + "%.0f requests/s, latency median %.2f ms, p99 %.2f ms, errors %d, VmRSS %s -> %s%n",
                    CLIENTS, REQUESTS_PER_CLIENT, n / seconds, latencies[n / 2] / 1e6, latencies[(int) Math.ceil(0.99 * n) - 1] / 1e6,
                    errors.size(), mb(rssBefore), mb(rssAfter));
            assertThat(errors).as("errors below the in-flight limit").isEmpty();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void beyondTheLimitRequestsAreRefusedWith503AndTheRestAreStillRight() throws Exception {
        int limit = 2, clients = 12, each = 40;
        try (PlaygroundServer server = ServeTesting.serve(model, Limits.standard(limit))) {
            URI base = server.uri();
            List<String> expected = sequentialAnswers(base);
            AtomicInteger ok = new AtomicInteger(), busy = new AtomicInteger();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    for (int k = 0; k < each; k++) {
                        int which = (client * 5 + k) % REQUESTS.size();
                        ServeTesting.Response a = ServeTesting.post(base, REQUESTS.get(which)[0], REQUESTS.get(which)[1]);
                        if (a.status() == 200) {
                            ok.incrementAndGet();
                            if (!a.body().equals(expected.get(which))) errors.add("wrong answer to request " + which + ": " + a.body());
                        } else if (a.status() == 503 && a.raw().headers().firstValue("Retry-After").isPresent()
                                && ((String) a.json().get("error")).contains("retry")) {
                            busy.incrementAndGet();
                        } else {
                            errors.add(a.status() + " " + a.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(4, TimeUnit.MINUTES);
            pool.shutdown();
            System.out.printf(Locale.ROOT, "serve over the limit: %d clients, limit %d: %d answered, %d refused with 503%n", clients, limit, ok.get(), busy.get());
            assertThat(errors).isEmpty();
            assertThat(ok.get() + busy.get()).isEqualTo(clients * each);
            assertThat(ok.get()).isPositive();
        }
    }

    /** VmRSS of this JVM in kB (the server runs in it), or -1 where /proc is not there. */
    static long residentKilobytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    private static String mb(long kb) {
        return kb < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f MB", kb / 1024.0);
    }

    @SuppressWarnings("unused")
    private static Map<?, ?> parse(String body) {
        return (Map<?, ?>) Json.parse(body);
    }
}
