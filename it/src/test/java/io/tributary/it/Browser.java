package io.tributary.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Debian Chromium driven by WebDriver (installed by {@code it/services.sh start}). No
 * network access beyond loopback is attempted: background networking, sync and updates are off.
 */
final class Browser implements AutoCloseable {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  final WebDriver driver;
  private final Path profile;

  Browser() throws IOException {
    for (String exe : new String[] {CHROMIUM, CHROMEDRIVER}) {
      if (!new File(exe).canExecute()) {
        throw new IllegalStateException(exe + " is missing: it/services.sh start installs chromium and chromium-driver");
      }
    }
    profile = Files.createTempDirectory("tributary-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1100", "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
  }

  /** Waits up to {@code seconds} for the condition; the message says what was awaited. */
  void await(int seconds, String what, Function<WebDriver, Boolean> condition) throws Exception {
    awaitAsserted(seconds, what, () -> {
      if (!Boolean.TRUE.equals(condition.apply(driver))) {
        throw new AssertionError("the condition does not hold yet");
      }
    });
  }

  /** Assertions on the page, run again until they all hold. */
  interface PageAssertions {
    void check() throws Exception;
  }

  /**
   * Runs the assertions until they hold or {@code seconds} pass: a page updated by pushes may
   * show one figure final before another. On time-out, fails with the last assertion that did not
   * hold (expected and actual).
   */
  void awaitAsserted(int seconds, String what, PageAssertions assertions) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (true) {
      try {
        assertions.check();
        return;
      } catch (AssertionError | RuntimeException e) {
        if (System.nanoTime() >= deadline) {
          throw new AssertionError("waited " + seconds + " s for " + what + "; page version "
              + driver.findElement(org.openqa.selenium.By.tagName("body")).getAttribute("data-version")
              + "; still: " + e.getMessage(), e);
        }
      }
      Thread.sleep(100);
    }
  }

  /** The text of every element the selector matches, in document order. */
  @SuppressWarnings("unchecked")
  List<String> texts(String css) {
    return (List<String>)
        ((JavascriptExecutor) driver)
            .executeScript("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);", css);
  }

  /** The cells' text of each row of a generic page's table {@code id}. */
  @SuppressWarnings("unchecked")
  List<List<String>> rows(String table) {
    return (List<List<String>>)
        ((JavascriptExecutor) driver)
            .executeScript(
                "return Array.from(document.querySelectorAll('#table-' + arguments[0] + ' tbody tr'))"
                    + ".map(r => Array.from(r.cells).map(c => c.textContent));",
                table);
  }

  /** A card's exact value ({@code data-value}; empty when it shows a dash). */
  String card(String id) {
    return driver.findElement(org.openqa.selenium.By.id("card-" + id)).getAttribute("data-value");
  }

  /** Saves a PNG of the page under {@code target/screenshots/}; returns its path. */
  Path screenshot(String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Path file = dir.resolve(name + ".png");
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    System.out.println("screenshot: " + file.toAbsolutePath());
    return file;
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
