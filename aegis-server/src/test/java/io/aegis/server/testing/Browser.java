package io.aegis.server.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium driven by Selenium, for the console's tests: Debian's {@code chromium}
 * and {@code chromedriver} (never a browser or driver downloaded by Selenium Manager: both paths
 * are given explicitly), a fresh profile per browser, no network but the gateway's.
 *
 * <p>Without Chromium the tests that need it are skipped with the reason, except under
 * {@code CI=true}, where they fail: CI installs it ({@code .ci/run}). {@code AEGIS_CHROMIUM} and
 * {@code AEGIS_CHROMEDRIVER} point elsewhere. Waits are for the DOM state a test asserts, with a
 * generous bound ({@link #PATIENCE}), never fixed sleeps.
 */
public final class Browser implements AutoCloseable {
  /** How long a wait for the page may take on a busy machine. */
  public static final Duration PATIENCE = Duration.ofSeconds(30);

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** A headless Chromium with a {@code width}×{@code height} window. */
  public static Browser open(int width, int height) {
    File chromium = new File(env("AEGIS_CHROMIUM", "/usr/bin/chromium"));
    File chromedriver = new File(env("AEGIS_CHROMEDRIVER", "/usr/bin/chromedriver"));
    if (!chromium.canExecute() || !chromedriver.canExecute()) {
      String reason = "headless Chromium is not installed (" + chromium + ", " + chromedriver
          + "): apt-get install -y chromium chromium-driver";
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(reason + " (CI=true: the console's browser tests must run)");
      }
      Assumptions.abort(reason);
    }
    Path profile;
    try {
      profile = Files.createTempDirectory("aegis-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
        "--lang=en-US");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver)
        .usingAnyFreePort()
        .build();
    try {
      return new Browser(new ChromeDriver(service, options), profile);
    } catch (RuntimeException e) {
      deleteTree(profile);
      throw e;
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  public WebDriver driver() {
    return driver;
  }

  public void get(String url) {
    driver.get(url);
  }

  /** Waits until {@code condition} returns something other than null or false, and returns it. */
  public <T> T await(String what, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, PATIENCE)
        .withMessage(what)
        .pollingEvery(Duration.ofMillis(100))
        // The console re-renders as it refreshes: an element read a moment ago may be gone.
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  /** Waits for a displayed element matching {@code css}. */
  public WebElement find(String css) {
    return await("a visible " + css, d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      return found.stream().filter(WebElement::isDisplayed).findFirst().orElse(null);
    });
  }

  /** Waits until the text of the first element matching {@code css} contains {@code text}. */
  public WebElement awaitText(String css, String text) {
    return await("'" + text + "' in " + css, d -> {
      for (WebElement e : d.findElements(By.cssSelector(css))) {
        if (e.getText().contains(text)) {
          return e;
        }
      }
      return null;
    });
  }

  /** Waits until an element matching {@code css} exists (displayed or not). */
  public WebElement present(String css) {
    return await("an element " + css, d -> d.findElements(By.cssSelector(css)).stream().findFirst().orElse(null));
  }

  public Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** A PNG of the window. */
  public void screenshot(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Errors the page logged since the last call (script errors, Content-Security-Policy violations). */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .toList();
  }

  /** The browser's session storage, as the page sees it. */
  @SuppressWarnings("unchecked")
  public Map<String, String> sessionStorage() {
    return (Map<String, String>) script(
        "const o = {}; for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i); o[k] = sessionStorage.getItem(k); } return o;");
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary profile left behind is harmless
    }
  }
}
