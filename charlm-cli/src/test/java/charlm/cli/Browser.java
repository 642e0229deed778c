package charlm.cli;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium driven by the system's chromedriver (Debian's chromium and chromium-driver),
 * never a downloaded one. Where either is missing the calling test is skipped with the reason, or
 * fails under CHARLM_REQUIRE_BROWSER=1 (as in CI). CHARLM_CHROMIUM and CHARLM_CHROMEDRIVER name
 * other binaries.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(env("CHARLM_CHROMIUM", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(env("CHARLM_CHROMEDRIVER", "/usr/bin/chromedriver"));

    /** Selenium warns at each start that it has no DevTools bindings for this Chromium; these tests use none. Held: loggers are weak. */
    private static final java.util.logging.Logger[] QUIET = {java.util.logging.Logger.getLogger("org.openqa.selenium.devtools"),
            java.util.logging.Logger.getLogger("org.openqa.selenium.chromium")};

    static {
        for (java.util.logging.Logger l : QUIET) l.setLevel(java.util.logging.Level.SEVERE);
    }

    final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v;
    }

    /** Skips the test (or fails it under CHARLM_REQUIRE_BROWSER=1) when the browser cannot run here. */
    static void requireAvailable() {
        String missing = null;
        if (!Files.isExecutable(CHROMIUM)) missing = CHROMIUM + " is missing (apt-get install -y chromium)";
        else if (!Files.isExecutable(DRIVER)) missing = DRIVER + " is missing (apt-get install -y chromium-driver)";
        if (missing == null) return;
        String msg = "browser tests need headless Chromium: " + missing;
        if ("1".equals(System.getenv("CHARLM_REQUIRE_BROWSER"))) fail(msg);
        assumeTrue(false, msg);
    }

    /** A fresh headless Chromium with its own profile in profileDir. */
    static Browser open(Path profileDir) {
        requireAvailable();
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                "--user-data-dir=" + profileDir.toAbsolutePath());
        return new Browser(new ChromeDriver(service, options));
    }

    WebElement find(String cssSelector) {
        return driver.findElement(By.cssSelector(cssSelector));
    }

    /** Waits up to timeout for condition to give something other than null or false. */
    <T> T await(Duration timeout, String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout).withMessage(what).ignoring(StaleElementReferenceException.class).until(condition);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
