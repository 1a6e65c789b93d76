package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.box.Letterbox;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.model.ModelSpec;
import io.dydet.model.Route;
import io.dydet.testing.Golden;
import io.dydet.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Detector end to end from the image files, against the original's detect.py results. */
class DetectorTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    static Detector detector(String model, int img, float thres) throws Exception {
        ModelSpec spec;
        try (Golden g = Golden.open(model)) {
            spec = g.spec();
        }
        return Detector.builder()
                .weights(Golden.file(model + ".safetensors"))
                .model(spec)
                .imageSize(img)
                .routerThreshold(thres)
                .build();
    }

    /** Rows match by class; boxes within 0.1 letterbox px (divided by the ratio here), confidences within 1e-4. */
    static void assertMatches(String what, float[] want, int n, List<Detection> got, double ratio) {
        assertEquals(n, got.size(), what + ": rows " + got);
        boolean[] used = new boolean[n];
        for (Detection d : got) {
            int match = -1;
            for (int i = 0; i < n && match < 0; i++) {
                if (used[i] || (int) want[i * 6 + 5] != d.classId()) continue;
                double tol = 0.1 / ratio;
                if (Math.abs(want[i * 6] - d.box().x1()) <= tol
                        && Math.abs(want[i * 6 + 1] - d.box().y1()) <= tol
                        && Math.abs(want[i * 6 + 2] - d.box().x2()) <= tol
                        && Math.abs(want[i * 6 + 3] - d.box().y2()) <= tol
                        && Math.abs(want[i * 6 + 4] - d.confidence()) <= 1e-4) match = i;
            }
            assertTrue(match >= 0, what + ": no golden row for " + d);
            used[match] = true;
        }
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7-w025, 192", "dy-yolov7x-w025, 128", "dy-yolov7-w6-w025, 128"})
    void detectionsFromImageFilesEqualTheOriginalDetectPath(String model, int img) throws Exception {
        for (Route route : Route.values()) {
            try (Detector d = detector(model, img, route == Route.ROUTE1 ? 0f : 1f);
                    Golden g = Golden.open(model);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                for (String name : List.of("demo", "grace_hopper")) {
                    ImageDetections r = d.detect(Golden.file("images/" + name + ".png"));
                    assertNull(r.error());
                    assertEquals(route, r.route());
                    assertEquals(g.tensor(m, name + ".score").getFloat(0, 0), r.routerScore(), 1e-6f);
                    var want = g.tensor(
                            m, name + "." + (route == Route.ROUTE1 ? "easy" : "hard") + ".nms_detect.original");
                    double ratio = g.meta().at("/inputs/" + name + "/ratio/0").asDouble();
                    assertMatches(
                            model + " " + name + " " + route,
                            want.toFloatArray(),
                            (int) want.getShape().get(0),
                            r.detections(),
                            ratio);
                    assertEquals(
                            d.gflops(
                                    route,
                                    (int) want.getShape().get(0) >= 0
                                            ? g.meta()
                                                    .at("/inputs/" + name + "/letterboxed_hw/0")
                                                    .asInt()
                                            : 0,
                                    g.meta()
                                            .at("/inputs/" + name + "/letterboxed_hw/1")
                                            .asInt()),
                            r.gflops(),
                            1e-9);
                    assertTrue(r.timings().modelMs() > 0);
                }
            }
        }
    }

    @Test
    void eightThreadsGetTheSameResultsAsOne() throws Exception {
        try (Detector d = detector("dy-yolov7-w025", 192, 0.5f)) {
            List<Path> images = List.of(Golden.file("images/demo.png"), Golden.file("images/grace_hopper.png"));
            List<ImageDetections> once = new ArrayList<>();
            for (Path p : images) once.add(d.detect(p));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<ImageDetections>> futures = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    Path p = images.get(i % 2);
                    futures.add(pool.submit(() -> d.detect(p)));
                }
                for (int i = 0; i < futures.size(); i++) {
                    ImageDetections r = futures.get(i).get();
                    ImageDetections ref = once.get(i % 2);
                    assertEquals(ref.route(), r.route());
                    assertEquals(ref.routerScore(), r.routerScore(), 1e-6f);
                    assertEquals(ref.detections().size(), r.detections().size());
                    for (int k = 0; k < ref.detections().size(); k++) {
                        Detection a = ref.detections().get(k),
                                b = r.detections().get(k);
                        assertEquals(a.classId(), b.classId());
                        assertEquals(a.confidence(), b.confidence(), 1e-5f);
                        assertEquals(a.box().x1(), b.box().x1(), 1e-3f);
                        assertEquals(a.box().y2(), b.box().y2(), 1e-3f);
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aBatchMixingShapesAndRoutesEqualsOneByOne() throws Exception {
        Path demo = Golden.file("images/demo.png"), grace = Golden.file("images/grace_hopper.png");
        List<Path> files = List.of(demo, grace, demo, grace, demo);
        try (Detector d = detector("dy-yolov7-w025", 192, 0.5245f)) {
            List<ImageDetections> batch = d.detect(files);
            for (int i = 0; i < files.size(); i++) {
                ImageDetections one = d.detect(files.get(i));
                assertEquals(one.route(), batch.get(i).route());
                assertEquals(one.detections().size(), batch.get(i).detections().size());
                for (int k = 0; k < one.detections().size(); k++) {
                    assertEquals(
                            one.detections().get(k).confidence(),
                            batch.get(i).detections().get(k).confidence(),
                            1e-4f);
                }
            }
            // 0.5245 lies between the two images' scores (0.5241 and 0.5276): both routes appear
            assertTrue(batch.stream().anyMatch(r -> r.route() == Route.ROUTE1)
                    && batch.stream().anyMatch(r -> r.route() == Route.ROUTE2));
        }
    }

    /**
     * Issue 20: eight 100-megapixel PNGs in one detect batch took 3 GB decoded; files are decoded in runs within the
     * decoded-pixel budget now, with the answers of one run over all of them.
     */
    @Test
    void filesOverTheDecodedPixelBudgetAreDetectedInRunsWithTheSameResults() throws Exception {
        Path demo = Golden.file("images/demo.png"), grace = Golden.file("images/grace_hopper.png");
        List<Path> files = List.of(demo, grace, demo, grace, demo, dir.resolve("missing.png"));
        long demoPixels = 773L * 512;
        ModelSpec spec;
        try (Golden g = Golden.open("dy-yolov7-w025")) {
            spec = g.spec();
        }
        Detector.Builder b = Detector.builder()
                .weights(Golden.file("dy-yolov7-w025.safetensors"))
                .model(spec)
                .imageSize(192)
                .routerThreshold(0.5245f);
        try (Detector whole = b.build();
                Detector split = b.decodedPixelBudget(2 * demoPixels).build()) {
            List<ImageDetections> want = whole.detect(files), got = split.detect(files);
            assertTrue(
                    whole.peakDecodedPixels() > 2 * demoPixels, "the default budget decodes the five images together");
            assertTrue(
                    split.peakDecodedPixels() <= 2 * demoPixels && split.peakDecodedPixels() > 0,
                    "held " + split.peakDecodedPixels());
            assertEquals(files.size(), got.size());
            for (int i = 0; i < files.size(); i++) {
                ImageDetections w = want.get(i), r = got.get(i);
                assertEquals(w.error(), r.error());
                assertEquals(w.route(), r.route());
                assertEquals(w.routerScore(), r.routerScore(), 1e-6f);
                assertEquals(
                        w.detections().size(),
                        r.detections().size(),
                        files.get(i).toString());
                for (int k = 0; k < w.detections().size(); k++) {
                    Detection x = w.detections().get(k), y = r.detections().get(k);
                    assertEquals(x.classId(), y.classId());
                    assertEquals(x.confidence(), y.confidence(), 1e-4f);
                    assertEquals(x.box().x1(), y.box().x1(), 1e-2);
                    assertEquals(x.box().y2(), y.box().y2(), 1e-2);
                }
            }
            assertNotNull(got.get(5).error());
            assertTrue(got.get(0).detections().size() > 5);
        }
    }

    @Test
    void detectCommandWritesARunFolderAndReportsBadFiles() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.copy(Golden.file("images/demo.png"), src.resolve("a_demo.png"));
        Files.copy(Golden.file("images/grace_hopper.png"), src.resolve("b_grace.png"));
        Files.write(src.resolve("c_empty.jpg"), new byte[0]);
        Files.writeString(src.resolve("d_text.jpg"), "not an image");
        Path project = dir.resolve("runs");
        String[] args = {
            "detect",
            "--weights",
            Golden.file("dy-yolov7-w025.safetensors").toString(),
            "--model",
            "dy-yolov7",
            "--width",
            "0.25",
            "--source",
            src.toString(),
            "--img",
            "192",
            "--save-txt",
            "--project",
            project.toString(),
            "--threads",
            "2"
        };
        assertEquals(3, Main.run(args)); // two unreadable files
        assertEquals(3, Main.run(args));
        Path run = project.resolve("exp"), run2 = project.resolve("exp2");
        assertTrue(Files.isDirectory(run) && Files.isDirectory(run2));
        JsonNode json =
                new ObjectMapper().readTree(run.resolve("detections.json").toFile());
        assertEquals(4, json.size());
        assertNull(json.get(0).get("error").textValue());
        assertEquals(773, json.get(0).get("width").asInt());
        assertTrue(json.get(0).get("detections").size() > 0);
        assertTrue(json.get(0).get("route").asInt() == 1
                || json.get(0).get("route").asInt() == 2);
        assertNotNull(json.get(2).get("error").textValue());
        assertTrue(json.get(3).get("error").textValue().contains("d_text.jpg"));
        assertTrue(Files.exists(run.resolve("a_demo.png")) && Files.exists(run.resolve("labels/b_grace.txt")));
        String firstLine = Files.readAllLines(run.resolve("labels/a_demo.txt")).get(0);
        assertEquals(6, firstLine.split(" ").length, firstLine);
    }

    @Test
    void imagesWithTheirOwnSettingsInOneBatchEqualTheirSingleCalls() throws Exception {
        try (Detector d = detector("dy-yolov7-w025", 192, 0.5f)) {
            org.opencv.core.Mat img = io.dydet.data.Images.read(Golden.file("images/grace_hopper.png"), Long.MAX_VALUE);
            try {
                List<DetectSettings> settings = List.of(
                        d.defaults().withRouterThreshold(0f),
                        d.defaults().withRouterThreshold(1f).withConfidence(0.4f),
                        d.defaults().withRouterThreshold(1f).withIou(0.2f),
                        d.defaults().withClasses(java.util.Set.of(55)));
                List<org.opencv.core.Mat> same = java.util.Collections.nCopies(4, img);
                List<ImageDetections> batch = d.detectDecoded(same, List.of("a", "b", "c", "d"), settings);
                List<Route> routes = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    ImageDetections alone = d.detectDecoded(List.of(img), List.of("x"), List.of(settings.get(i)))
                            .get(0);
                    ImageDetections got = batch.get(i);
                    assertEquals(alone.route(), got.route());
                    routes.add(got.route());
                    assertEquals(alone.routerScore(), got.routerScore(), 1e-6f);
                    assertEquals(alone.detections().size(), got.detections().size(), "image " + i);
                    for (int k = 0; k < alone.detections().size(); k++) {
                        Detection a = alone.detections().get(k),
                                b = got.detections().get(k);
                        assertEquals(a.classId(), b.classId());
                        assertEquals(a.confidence(), b.confidence(), 1e-4f);
                        assertEquals(a.box().x1(), b.box().x1(), 1e-2);
                        assertEquals(a.box().y2(), b.box().y2(), 1e-2);
                    }
                }
                assertEquals(List.of(Route.ROUTE1, Route.ROUTE2, Route.ROUTE2, Route.ROUTE1), routes);
                assertTrue(batch.get(1).detections().stream().allMatch(x -> x.confidence() > 0.4f));
                assertTrue(batch.get(3).detections().stream().allMatch(x -> x.classId() == 55)
                        && !batch.get(3).detections().isEmpty());
                assertTrue(
                        batch.get(2).detections().size()
                                < d.detectDecoded(
                                                List.of(img),
                                                List.of("x"),
                                                List.of(d.defaults().withRouterThreshold(1f)))
                                        .get(0)
                                        .detections()
                                        .size(),
                        "a lower IoU threshold suppresses more boxes");
            } finally {
                img.release();
            }
        }
    }

    /**
     * Issue 20: an image whose short side rounds to 0 px (OpenCV refused to resize it) is detected like any other,
     * and the images batched with it, e.g. a 600x20 strip of the same letterboxed shape, get what they get alone.
     */
    @Test
    void aDegenerateImageInABatchIsDetectedAndTheOthersGetWhatTheyGetAlone() throws Exception {
        Path demo = Golden.file("images/demo.png"), strip = TestImages.png(dir, "strip", 600, 20);
        List<Path> thin = List.of(
                TestImages.png(dir, "thin", 2000, 1),
                TestImages.png(dir, "thin", 1, 2000),
                TestImages.png(dir, "thin", 600, 1),
                TestImages.png(dir, "thin", 1, 1));
        List<Path> files = List.of(demo, thin.get(0), strip, thin.get(1), thin.get(2), thin.get(3));
        Letterbox a = Letterbox.forDetect(1, 2000, 192, 32), b = Letterbox.forDetect(20, 600, 192, 32);
        assertEquals(
                List.of(a.paddedHeight(), a.paddedWidth()),
                List.of(b.paddedHeight(), b.paddedWidth()),
                "the 2000x1 and the strip share a batch");
        try (Detector d = detector("dy-yolov7-w025", 192, 0.5f)) {
            List<ImageDetections> batch = d.detect(files);
            assertEquals(files.size(), batch.size());
            for (int i = 0; i < files.size(); i++) {
                ImageDetections got = batch.get(i), alone = d.detect(files.get(i));
                assertNull(got.error(), files.get(i) + ": " + got.error());
                assertEquals(alone.route(), got.route());
                assertEquals(alone.routerScore(), got.routerScore(), 1e-5f);
                assertEquals(
                        alone.detections().size(),
                        got.detections().size(),
                        files.get(i).toString());
                for (int k = 0; k < alone.detections().size(); k++) {
                    Detection x = alone.detections().get(k),
                            y = got.detections().get(k);
                    assertEquals(x.classId(), y.classId());
                    assertEquals(x.confidence(), y.confidence(), 1e-4f);
                    assertEquals(x.box().x1(), y.box().x1(), 1e-2);
                    assertEquals(x.box().y2(), y.box().y2(), 1e-2);
                }
                for (Detection x : got.detections()) {
                    assertTrue(
                            x.box().x1() >= 0
                                    && x.box().x2() <= got.width()
                                    && x.box().y1() >= 0
                                    && x.box().y2() <= got.height(),
                            x.toString());
                }
            }
            assertTrue(batch.get(0).detections().size() > 5, "the golden image keeps its detections");
            assertEquals(
                    List.of(2000, 1), List.of(batch.get(1).width(), batch.get(1).height()));
            assertEquals(
                    List.of(1, 2000), List.of(batch.get(3).width(), batch.get(3).height()));
            assertEquals(
                    d.gflops(batch.get(1).route(), a.paddedHeight(), a.paddedWidth()),
                    batch.get(1).gflops(),
                    1e-9);
        }
    }

    /** Issue 20: {@code dydet detect} with a 2000x1 image beside a normal one writes both rows and exits 0. */
    @Test
    void detectCommandProcessesADegenerateImage() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.copy(Golden.file("images/demo.png"), src.resolve("a_demo.png"));
        TestImages.png(src, "b_thin", 2000, 1);
        Path project = dir.resolve("runs");
        assertEquals(
                0,
                Main.run(
                        "detect",
                        "--weights",
                        Golden.file("dy-yolov7-w025.safetensors").toString(),
                        "--model",
                        "dy-yolov7",
                        "--width",
                        "0.25",
                        "--source",
                        src.toString(),
                        "--img",
                        "192",
                        "--project",
                        project.toString(),
                        "--threads",
                        "2"));
        JsonNode json = new ObjectMapper()
                .readTree(project.resolve("exp/detections.json").toFile());
        assertEquals(2, json.size());
        assertTrue(json.get(0).get("detections").size() > 0);
        assertTrue(json.get(1).get("error").isNull(), json.get(1).toString());
        assertEquals(2000, json.get(1).get("width").asInt());
        assertEquals(1, json.get(1).get("height").asInt());
        assertTrue(Files.exists(project.resolve("exp/b_thin_2000x1.png")), "the annotated copy is written too");
    }

    @Test
    void missingSourceFailsFast() {
        assertEquals(
                1,
                Main.run(
                        "detect",
                        "--weights",
                        Golden.file("dy-yolov7-w025.safetensors").toString(),
                        "--source",
                        dir.resolve("nope").toString()));
    }
}
