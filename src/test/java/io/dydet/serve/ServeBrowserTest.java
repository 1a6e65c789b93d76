package io.dydet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.engine.Engines;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web page in headless Chromium (Debian's chromium and chromium-driver; .ci/run installs them): upload an
 * image, wait for the boxes, move the speed slider. The screenshot lands in target/browser-test/.
 */
class ServeBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    @TempDir Path profile;

    @Test
    void uploadAnImageAndSeeItsBoxes() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "the browser test needs Debian's chromium and chromium-driver: run .ci/run, or apt-get install chromium chromium-driver");
        Engines.start(2);
        Path image = Http.images().get(1);
        try (Detector detector = Http.detector(8);
             DetectionServer server = DetectionServer.start(detector, ServeSettings.defaults().withAddress("127.0.0.1", 0))) {
            ImageDetections want = detector.detect(image);
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            // as root in a closed network: no sandbox, and none of Chromium's background connections
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1000", "--user-data-dir=" + profile.toAbsolutePath());
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
            WebDriver driver = new ChromeDriver(service, options);
            try {
                driver.get(server.uri().toString());
                until(driver, d -> d.findElement(By.id("model")).getText().contains("GFLOPs"));
                assertTrue(driver.findElement(By.id("model")).getText().contains("80 classes"));
                driver.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
                until(driver, d -> "done".equals(state(d)) || "error".equals(state(d)));
                assertEquals("done", state(driver), driver.findElement(By.id("status")).getText());
                JavascriptExecutor js = (JavascriptExecutor) driver;
                assertEquals(String.valueOf(want.detections().size()), js.executeScript("return document.body.dataset.boxes"));
                assertEquals(String.valueOf(want.route().number()), js.executeScript("return document.body.dataset.route"));
                assertEquals((long) want.width(), js.executeScript("return document.getElementById('canvas').width"));
                assertEquals(want.detections().size(), driver.findElements(By.cssSelector("#detections tbody tr")).size());
                long drawn = (Long) js.executeScript(
                        "const c = document.getElementById('canvas'), g = c.getContext('2d');"
                        + "const plain = document.createElement('canvas'); plain.width = c.width; plain.height = c.height;"
                        + "plain.getContext('2d').drawImage(bitmap, 0, 0);"
                        + "const a = g.getImageData(0, 0, c.width, c.height).data, b = plain.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + "let n = 0; for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;"
                        + "return n;");
                assertTrue(drawn > 500, "boxes and labels change " + drawn + " pixels of the image");
                save(driver, "serve-page.png");

                // the slider re-runs the request: without a calibration it sets the router threshold itself
                for (long value : List.of(0L, 100L)) {
                    js.executeScript("const s = document.getElementById('speed'); s.value = arguments[0];"
                            + "document.body.dataset.state = 'changed'; s.dispatchEvent(new Event('change'));", value);
                    until(driver, d -> "done".equals(state(d)));
                    assertEquals(value == 0 ? "1" : "2", js.executeScript("return document.body.dataset.route"), "route at threshold " + value / 100.0);
                }
                save(driver, "serve-page-route2.png");
            } finally {
                driver.quit();
            }
        }
    }

    /** Polls the page until the condition holds (60 s at most). */
    private static void until(WebDriver driver, java.util.function.Predicate<WebDriver> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.test(driver)) {
            if (System.nanoTime() > deadline) throw new AssertionError("the page did not get there in 60 s; status: " + driver.findElement(By.id("status")).getText());
            Thread.sleep(50);
        }
    }

    private static String state(WebDriver d) {
        return (String) ((JavascriptExecutor) d).executeScript("return document.body.dataset.state");
    }

    private static void save(WebDriver driver, String name) throws Exception {
        File shot = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE);
        Path out = Path.of("target", "browser-test", name);
        Files.createDirectories(out.getParent());
        Files.copy(shot.toPath(), out, StandardCopyOption.REPLACE_EXISTING);
    }
}
