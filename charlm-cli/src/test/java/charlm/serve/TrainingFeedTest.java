package charlm.serve;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.generate.Predictor;
import charlm.io.Checkpoint;
import charlm.io.Json;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.train.EpochStats;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * train --serve without a browser: epochs pushed to a following page as they end, and the page's
 * generate answering from the snapshot of the last epoch end while the trainer writes the parameters.
 */
class TrainingFeedTest {
    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void train() {
        file = ServeTesting.trainTiny(dir).resolve("model.safetensors");
    }

    private static EpochStats stats(int epoch) {
        return new EpochStats(epoch, 20.0 / epoch, 1000 * epoch, 25.0 / epoch, 0.1);
    }

    /** What a model with exactly these parameters generates. */
    private static String expected(Checkpoint.Loaded like, float[] params, String json) {
        RnnModel copy = new RnnModel(like.model().config, like.model().kernels(), Workers.serial());
        System.arraycopy(params, 0, copy.params.data, 0, params.length);
        Api.Generate q = Api.generateRequest(json, Limits.standard(1));
        return new Predictor(copy, like.vocab(), like.tokenizer()).generate(q.prefix(), q.length(), q.decoding());
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void pagesGetEveryEpochAsItEndsThenTheEnd() throws Exception {
        Checkpoint.Loaded loaded = ServeTesting.load(file);
        TrainingFeed feed = TrainingFeed.start(0, loaded.model(), loaded.vocab(), loaded.tokenizer(), List.of(stats(1)), List.of(), java.util.Map.of());
        try {
            URI base = feed.uri();
            assertThat(base.getHost()).isEqualTo("127.0.0.1");
            Map<String, Object> m = ServeTesting.get(base, "/api/model").json();
            assertThat(m.get("training")).isEqualTo(true);
            assertThat(m.get("epoch")).isEqualTo(1.0);
            HttpResponse<Stream<String>> events = ServeTesting.CLIENT.send(HttpRequest.newBuilder(base.resolve("/api/events"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(events.statusCode()).isEqualTo(200);
            Iterator<String> lines = events.body().iterator();
            assertThat(nextEvent(lines)).containsEntry("epoch", 1.0).containsEntry("sample", null); // the run's epochs before this session
            feed.epoch(stats(2), "time traveller ab");
            Map<String, Object> e2 = nextEvent(lines);
            assertThat(e2).containsEntry("epoch", 2.0).containsEntry("sample", "time traveller ab").containsEntry("perplexity", 10.0)
                    .containsEntry("val_perplexity", 12.5);
            feed.epoch(stats(3), "time traveller abc");
            assertThat(nextEvent(lines)).containsEntry("epoch", 3.0);
            assertThat(ServeTesting.get(base, "/api/model").json().get("epoch")).isEqualTo(3.0);
            assertThat((List<?>) ServeTesting.get(base, "/api/curves").json().get("epochs")).hasSize(3);
            feed.close();
            Map<String, Object> end = nextEvent(lines);
            assertThat((String) end.get("message")).contains("training ended after epoch 3");
            assertThat(lines.hasNext() ? nextEvent(lines) : null).as("the stream ends after 'end'").isNull();
        } finally {
            feed.close(); // a second close does nothing
        }
    }

    /** The data of the next event on the stream, or null when it ends. */
    private static Map<String, Object> nextEvent(Iterator<String> lines) {
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.startsWith("data: ")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> data = (Map<String, Object>) Json.parse(line.substring(6));
                return data;
            }
        }
        return null;
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void generateUsesTheSnapshotOfTheLastEpochEndWhileTheTrainerWrites() throws Exception {
        Checkpoint.Loaded loaded = ServeTesting.load(file);
        RnnModel training = loaded.model();
        String request = "{\"prefix\": \"time\", \"length\": 200, \"strategy\": \"sample\", \"seed\": 3}";
        try (TrainingFeed feed = TrainingFeed.start(0, training, loaded.vocab(), loaded.tokenizer(), List.of(), List.of(), java.util.Map.of())) {
            URI base = feed.uri();
            float[] atStart = training.params.data.clone();
            String before = expected(loaded, atStart, request);
            // The "trainer" rewrites every parameter over and over, as SGD does during an epoch.
            AtomicBoolean stop = new AtomicBoolean();
            Thread trainer = new Thread(() -> {
                float[] w = training.params.data;
                for (int round = 0; !stop.get(); round++) {
                    for (int i = 0; i < w.length; i++) w[i] = atStart[i] * (1 + 0.5f * (float) Math.sin(round + i));
                }
            });
            trainer.start();
            try {
                List<String> answers = new ArrayList<>();
                for (int i = 0; i < 20; i++) answers.add((String) ServeTesting.post(base, "/api/generate", request).json().get("text"));
                assertThat(answers).as("answers while the parameters change under the trainer").containsOnly(before);
            } finally {
                stop.set(true);
                trainer.join();
            }
            // At the epoch end the page moves to the parameters as they are now.
            float[] atEnd = training.params.data.clone();
            feed.epoch(stats(1), "sample");
            Map<String, Object> after = ServeTesting.post(base, "/api/generate", request).json();
            assertThat(after.get("text")).isEqualTo(expected(loaded, atEnd, request));
            assertThat(after.get("epoch")).isEqualTo(1.0);
        }
    }

    @Test
    void aPortOutOfRangeIsRefused() {
        Checkpoint.Loaded loaded = ServeTesting.load(file);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainingFeed.start(70000, loaded.model(), loaded.vocab(), loaded.tokenizer(), List.of(), List.of(), java.util.Map.of()))
                .hasMessageContaining("--serve port must be 0");
    }
}
