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
import org.junit.jupiter.api.Tag;
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
@Tag("debian-packages")
class ServeBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path profile;

    @Test
    void uploadAnImageAndSeeItsBoxes() throws Exception {
        Engines.start(2);
        Path image = Http.images().get(1);
        try (Detector detector = Http.detector(8);
                DetectionServer server =
                        DetectionServer.start(detector, ServeSettings.defaults().withAddress("127.0.0.1", 0))) {
            ImageDetections want = detector.detect(image);
            WebDriver driver = browser(profile);
            try {
                driver.get(server.uri().toString());
                until(driver, d -> d.findElement(By.id("model")).getText().contains("GFLOPs"));
                assertTrue(driver.findElement(By.id("model")).getText().contains("80 classes"));
                driver.findElement(By.id("file"))
                        .sendKeys(image.toAbsolutePath().toString());
                until(driver, d -> "done".equals(state(d)) || "error".equals(state(d)));
                assertEquals(
                        "done",
                        state(driver),
                        driver.findElement(By.id("status")).getText());
                JavascriptExecutor js = (JavascriptExecutor) driver;
                assertEquals(
                        String.valueOf(want.detections().size()),
                        js.executeScript("return document.body.dataset.boxes"));
                assertEquals(
                        String.valueOf(want.route().number()), js.executeScript("return document.body.dataset.route"));
                assertEquals((long) want.width(), js.executeScript("return document.getElementById('canvas').width"));
                assertEquals(
                        want.detections().size(),
                        driver.findElements(By.cssSelector("#detections tbody tr"))
                                .size());
                long drawn =
                        (Long) js.executeScript("const c = document.getElementById('canvas'), g = c.getContext('2d');"
                                + "const plain = document.createElement('canvas'); plain.width = c.width; plain.height = c.height;"
                                + "plain.getContext('2d').drawImage(bitmap, 0, 0);"
                                + "const a = g.getImageData(0, 0, c.width, c.height).data, b = plain.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                                + "let n = 0; for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;"
                                + "return n;");
                assertTrue(drawn > 500, "boxes and labels change " + drawn + " pixels of the image");
                save(driver, "serve-page.png");

                // the slider re-runs the request: without a calibration it sets the router threshold itself
                for (long value : List.of(0L, 100L)) {
                    js.executeScript(
                            "const s = document.getElementById('speed'); s.value = arguments[0];"
                                    + "document.body.dataset.state = 'changed'; s.dispatchEvent(new Event('change'));",
                            value);
                    until(driver, d -> "done".equals(state(d)));
                    assertEquals(
                            value == 0 ? "1" : "2",
                            js.executeScript("return document.body.dataset.route"),
                            "route at threshold " + value / 100.0);
                }
                save(driver, "serve-page-route2.png");
            } finally {
                driver.quit();
            }
        }
    }

    @Test
    void theSliderSetsTheEasyShareOfACalibratedModel() throws Exception {
        Engines.start(2);
        Path image = Http.images().get(1);
        Path model = profile.resolve("calibrated.safetensors");
        try (io.dydet.testing.Golden g = io.dydet.testing.Golden.open("dy-yolov7-w025");
                ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            io.dydet.model.DynamicDetModel net = g.model(m.newSubManager());
            float[] scores = {0.50f, 0.51f, 0.52f, 0.53f, 0.54f, 0.55f};
            double[] g1 = new double[scores.length], g2 = new double[scores.length];
            java.util.Arrays.fill(g1, 0.6);
            java.util.Arrays.fill(g2, 1.1);
            io.dydet.model.ModelArtifact a = new io.dydet.model.ModelArtifact(
                            "dy-yolov7-w025",
                            g.spec().toYaml(),
                            io.dydet.model.ClassNames.COCO,
                            Http.IMAGE_SIZE,
                            net.network().strides(),
                            null,
                            java.util.Map.of())
                    .withCalibration(io.dydet.model.ThresholdTable.fromScores(scores, g1, g2, Http.IMAGE_SIZE, "test"));
            io.dydet.model.ModelFiles.save(model, net, a);
        }
        Path dir = java.nio.file.Files.createDirectories(profile.resolve("chromium"));
        try (Detector detector =
                        Detector.builder().weights(model).easyRatio(0.5).build();
                DetectionServer server =
                        DetectionServer.start(detector, ServeSettings.defaults().withAddress("127.0.0.1", 0))) {
            WebDriver driver = browser(dir);
            try {
                driver.get(server.uri().toString());
                until(driver, d -> d.findElement(By.id("model")).getText().contains("GFLOPs"));
                assertTrue(driver.findElement(By.id("speed-label")).getText().startsWith("Easy share"));
                driver.findElement(By.id("file"))
                        .sendKeys(image.toAbsolutePath().toString());
                until(driver, d -> "done".equals(state(d)));
                JavascriptExecutor js = (JavascriptExecutor) driver;
                // 100%: every image on route 1 (threshold 0); 0%: every image on route 2 (threshold 1)
                for (long value : List.of(100L, 0L)) {
                    js.executeScript(
                            "const s = document.getElementById('speed'); s.value = arguments[0];"
                                    + "s.dispatchEvent(new Event('input')); document.body.dataset.state = 'changed'; s.dispatchEvent(new Event('change'));",
                            value);
                    until(driver, d -> "done".equals(state(d)));
                    assertEquals(
                            value == 100 ? "1" : "2",
                            js.executeScript("return document.body.dataset.route"),
                            "route at easy share " + value + "%");
                    assertTrue(driver.findElement(By.id("speed-value"))
                            .getText()
                            .startsWith(value + "% of images on route 1"));
                }
                save(driver, "serve-page-calibrated.png");
            } finally {
                driver.quit();
            }
        }
    }

    /** Headless Debian Chromium through its chromedriver, with its own profile folder. */
    private static WebDriver browser(Path profile) {
        assertTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "the browser test needs Debian's chromium and chromium-driver: run .ci/run, or apt-get install chromium chromium-driver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // as root in a closed network: no sandbox, and none of Chromium's background connections
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,1000",
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /** Polls the page until the condition holds (60 s at most). */
    private static void until(WebDriver driver, java.util.function.Predicate<WebDriver> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.test(driver)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("the page did not get there in 60 s; status: "
                        + driver.findElement(By.id("status")).getText());
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
