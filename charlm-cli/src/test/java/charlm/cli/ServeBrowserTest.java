package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Json;
import charlm.testing.SharedData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The serve page in a real browser (headless Chromium): typed prefix, streamed text equal to the
 * API's; and the curve of a train --serve run gaining a point at each epoch, stepped by holding the
 * run at each epoch's progress line.
 */
class ServeBrowserTest {
    static final Pattern URL = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/)");
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path shared;
    static Path book;
    static Path run;

    @TempDir
    Path profile;

    @BeforeAll
    static void trainOnce() {
        Browser.requireAvailable();
        book = SharedData.textFile(shared);
        run = shared.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", run.toString(), "--epochs", "4")).ok();
    }

    static Map<?, ?> post(URI base, String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve(path)).timeout(WAIT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return (Map<?, ?>) Json.parse(r.body());
    }

    private static void type(WebElement input, String text) {
        input.clear();
        input.sendKeys(text);
    }

    /** Generates on the page and returns the text shown once the stream is done. */
    private static String generateOnPage(Browser b) {
        b.find("#generate").click();
        b.await(WAIT, "the page to finish generating", d -> {
            String state = b.find("#output").getAttribute("data-state");
            if (state.equals("error")) throw new AssertionError("the page shows an error: " + b.find("#generate-error").getText());
            return state.equals("done");
        });
        return b.find("#output").getText();
    }

    @Test
    void thePageStreamsTheApisTextAndShowsTheRun() throws Exception {
        LiveOutput.Running serve = LiveOutput.start("serve", "--run", run.toString(), "--port", "0");
        URI base = URI.create(serve.out().await(URL, WAIT));
        long started = System.nanoTime();
        try (Browser b = Browser.open(profile)) {
            b.driver.get(base.toString());
            b.await(WAIT, "the vocabulary to load", d -> b.driver.findElements(By.cssSelector("#vocab span")).size() > 2);
            assertThat(b.find("#vocab span").getText()).isEqualTo("<unk>");
            assertThat(b.find("#model").getText()).contains("hidden units H", "16");
            // the run's four epochs, both curves' points
            b.await(WAIT, "the curve of the run", d -> "4".equals(b.find("#chart").getAttribute("data-epochs")));
            assertThat(b.driver.findElements(By.cssSelector("#chart circle.train"))).hasSize(4);

            // greedy, with the default prefix
            String greedy = generateOnPage(b);
            assertThat(greedy).isEqualTo(post(base, "/api/generate", "{}").get("text"));

            // sampling with every knob, a prefix with capitals and a character outside the vocabulary
            type(b.find("#prefix"), "The Time Machine!");
            new Select(b.find("#strategy")).selectByValue("sample");
            type(b.find("#knob-value"), "0.8");
            type(b.find("#top-k"), "5");
            type(b.find("#seed"), "7");
            type(b.find("#length"), "120");
            String shown = generateOnPage(b);
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("prefix", "The Time Machine!");
            request.put("length", 120);
            request.put("strategy", "sample");
            request.put("temperature", 0.8);
            request.put("top_k", 5);
            request.put("seed", 7);
            Map<?, ?> api = post(base, "/api/generate", Json.write(request));
            assertThat(shown).isEqualTo(api.get("text")).startsWith("the time machine");
            assertThat(b.find("#out-generated").getText()).hasSize(120);
            assertThat(b.find("#generate-info").getText()).contains("120 characters").doesNotContain("<unk>");
            assertThat(b.find("#command").getText()).contains("--strategy sample --temperature 0.8 --top-k 5 --seed 7");

            // alpha instead of temperature
            new Select(b.find("#knob")).selectByValue("alpha");
            type(b.find("#knob-value"), "2");
            request.remove("temperature");
            request.put("alpha", 2);
            assertThat(generateOnPage(b)).isEqualTo(post(base, "/api/generate", Json.write(request)).get("text"));

            // a refusal from the server is shown, not swallowed
            type(b.find("#length"), "5000");
            b.find("#generate").click();
            b.await(WAIT, "the error", d -> b.find("#generate-error").getText().contains("2000"));
            assertThat(b.find("#output").getAttribute("data-state")).isEqualTo("error");

            // scoring
            b.find("#score").click();
            b.await(WAIT, "the score", d -> b.find("#score-result").getText().contains("perplexity"));

            Path shot = Path.of("target", "serve-page.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, b.driver.getScreenshotAs(OutputType.BYTES));
        } finally {
            serve.thread().interrupt();
        }
        assertThat(serve.exitCode(WAIT)).isZero();
        System.out.printf("serve browser test: page checks took %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    @Test
    void theCurveOfATrainingRunGainsAPointEachEpoch() throws Exception {
        LiveOutput out = new LiveOutput();
        out.holdAt(line -> line.matches("epoch \\d+: .*"));
        Path dir = shared.resolve("live-run");
        LiveOutput.Running train = LiveOutput.start(out, Cli.tinyWith("train", "--data", book.toString(), "--out", dir.toString(), "--epochs", "6",
                "--val-fraction", "0.1", "--eval-every", "20", "--serve", "0"));
        URI base = URI.create(out.await(URL, WAIT));
        try (Browser b = Browser.open(profile)) {
            b.driver.get(base.toString());
            int scores = 0;
            for (int epoch = 1; epoch <= 6; epoch++) {
                String held = out.awaitHeld(WAIT);
                assertThat(held).startsWith("epoch " + epoch + ":");
                String n = Integer.toString(epoch);
                b.await(WAIT, "epoch " + n + " on the curve", d -> n.equals(b.find("#chart").getAttribute("data-epochs")));
                // the held-out curve gains a point at every --eval-every scoring, several an epoch
                int before = scores;
                b.await(WAIT, "held-out scores of epoch " + n, d -> Integer.parseInt(b.find("#chart").getAttribute("data-evaluations")) >= before + 2);
                scores = Integer.parseInt(b.find("#chart").getAttribute("data-evaluations"));
                List<WebElement> samples = b.driver.findElements(By.cssSelector("#samples li"));
                assertThat(samples).hasSize(epoch);
                assertThat(samples.get(0).getText()).startsWith("time traveller");
                assertThat(b.find("#status").getText()).contains("epoch " + n);
                if (epoch == 3) {
                    // the page's generate runs on the parameters after epoch 3 while the run waits there
                    String shown = generateOnPage(b);
                    assertThat(shown).isEqualTo(post(base, "/api/generate", "{}").get("text"));
                    assertThat(b.find("#generate-info").getText()).contains("after epoch 3");
                }
                out.release();
            }
            assertThat(train.exitCode(WAIT)).isZero();
            b.await(WAIT, "the end of training on the page", d -> b.find("#curves-note").getText().contains("training ended after epoch 6"));
            assertThat(b.find("#chart").getAttribute("data-epochs")).isEqualTo("6");
        } finally {
            out.release();
        }
    }

    /**
     * Not a check: the picture in docs/serve.md. Run with -Dcharlm.screenshot=docs/serve.png -Dcharlm.screenshot.run=RUN_DIR
     * (paths from the repository root) to serve that run and photograph the page after a generation.
     */
    @Test
    @EnabledIfSystemProperty(named = "charlm.screenshot", matches = ".+")
    void screenshotForTheReadme() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path target = root.resolve(System.getProperty("charlm.screenshot"));
        Path runDir = root.resolve(System.getProperty("charlm.screenshot.run"));
        LiveOutput.Running serve = LiveOutput.start("serve", "--run", runDir.toString(), "--port", "0");
        URI base = URI.create(serve.out().await(URL, WAIT));
        try (Browser b = Browser.open(profile)) {
            b.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1150));
            b.driver.get(base.toString());
            b.await(WAIT, "the curve", d -> !"0".equals(b.find("#chart").getAttribute("data-epochs")));
            new Select(b.find("#strategy")).selectByValue("sample");
            type(b.find("#knob-value"), "0.7");
            type(b.find("#seed"), "3");
            type(b.find("#length"), "160");
            generateOnPage(b);
            b.find("#score").click();
            b.await(WAIT, "the score", d -> b.find("#score-result").getText().contains("perplexity"));
            b.driver.executeScript("window.scrollTo(0, 0)");
            Files.write(target, b.driver.getScreenshotAs(OutputType.BYTES));
        } finally {
            serve.thread().interrupt();
        }
        serve.exitCode(WAIT);
    }
}
