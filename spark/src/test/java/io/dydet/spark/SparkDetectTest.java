package io.dydet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.infer.Detection;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dydet on Spark in local mode (2 cores, a task may fail once) over the golden images and a slice of COCO val2017,
 * against the library API on the same model and settings.
 */
class SparkDetectTest {
    /** The core module's test fixtures. */
    static final Path GOLDEN = Path.of("../src/test/resources/golden");

    static final Path COCO = Path.of("../src/test/resources/data/coco_val2017_47/images/val2017");
    static SparkSession spark;
    static SparkDetectSettings settings;
    static Path images;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder()
                .master("local[2,2]")
                .appName("dydet-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        settings = SparkDetectSettings.of(GOLDEN.resolve("dy-yolov7-w025.safetensors")
                        .toAbsolutePath()
                        .toString())
                .withDefinition(SparkDetectSettings.definitionOf(
                        GOLDEN.resolve("dy-yolov7-w025.yaml").toString()))
                .withDetect(192, 0.25f, 0.45f, 4, 1, io.dydet.infer.Backend.TORCH)
                .withRouter(SparkDetectSettings.RouterMode.THRESHOLD, 0.526);
        images = Files.createDirectories(dir.resolve("images"));
        Files.copy(GOLDEN.resolve("images/demo.png"), images.resolve("demo.png"));
        Files.copy(GOLDEN.resolve("images/grace_hopper.png"), images.resolve("grace_hopper.png"));
        try (Stream<Path> s = Files.list(COCO)) {
            for (Path p : s.sorted().limit(10).toList()) Files.copy(p, images.resolve(p.getFileName()));
        }
        byte[] jpeg = Files.readAllBytes(images.resolve(Files.list(images)
                .filter(p -> p.toString().endsWith(".jpg"))
                .sorted()
                .findFirst()
                .orElseThrow()
                .getFileName()));
        Files.write(images.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(images.resolve("notes.jpg"), "this is not an image");
        Files.writeString(images.resolve("README.txt"), "not an image name: not read, not a row");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        ExecutorDetectors.closeAll();
    }

    static Map<String, Row> byName(Path output, String format) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : spark.read()
                .schema(DetectRows.SCHEMA)
                .format(format)
                .load(output.toString())
                .collectAsList()) {
            String name = Path.of(r.getString(0).replaceFirst("^file:", ""))
                    .getFileName()
                    .toString();
            assertTrue(out.put(name, r) == null, "two rows for " + name);
        }
        return out;
    }

    @Test
    void everyImageEqualsTheLibraryApiAndCorruptFilesAreErrorRows() throws Exception {
        SparkDetect.Summary s =
                SparkDetect.run(spark, images.toString(), dir.resolve("out").toString(), "parquet", 2, settings);
        assertEquals(14, s.images());
        assertEquals(2, s.failed());
        assertEquals(12, s.route1() + s.route2());
        assertTrue(s.route1() > 0 && s.route2() > 0, "both routes: " + s);
        assertTrue(Files.isRegularFile(dir.resolve("out/summary.json")));
        Map<String, Row> rows = byName(dir.resolve("out/detections"), "parquet");
        assertEquals(14, rows.size());
        try (Detector d = settings.build(Path.of(settings.modelFile()))) {
            int compared = 0;
            try (Stream<Path> files = Files.list(images)) {
                for (Path f : files.sorted()
                        .filter(p -> !p.toString().endsWith(".txt"))
                        .toList()) {
                    Row r = rows.get(f.getFileName().toString());
                    assertNotNull(r, f.toString());
                    ImageDetections want = d.detect(f);
                    if (!want.ok()) {
                        assertNotNull(r.getString(7), f + " should be an error row");
                        assertTrue(r.getList(6).isEmpty());
                        continue;
                    }
                    assertTrue(r.isNullAt(7), f + ": " + r.getString(7));
                    assertEquals(want.width(), r.getInt(1));
                    assertEquals(want.height(), r.getInt(2));
                    assertEquals(want.routerScore(), r.getDouble(3), 1e-5, f.toString());
                    assertEquals(want.route().number(), r.getInt(4), f.toString());
                    assertEquals(want.gflops(), r.getDouble(5), 1e-9);
                    List<Row> dets = r.getList(6);
                    assertEquals(want.detections().size(), dets.size(), f.toString());
                    for (int k = 0; k < dets.size(); k++) {
                        Detection w = want.detections().get(k);
                        Row g = dets.get(k);
                        assertEquals(w.classId(), g.getInt(2));
                        assertEquals(w.className(), g.getString(3));
                        assertEquals(w.confidence(), g.getDouble(1), 1e-4);
                        List<Double> box = g.getList(0);
                        assertEquals(w.box().x1(), box.get(0), 1e-2);
                        assertEquals(w.box().y1(), box.get(1), 1e-2);
                        assertEquals(w.box().x2(), box.get(2), 1e-2);
                        assertEquals(w.box().y2(), box.get(3), 1e-2);
                        compared++;
                    }
                }
            }
            assertTrue(compared > 50, "compared " + compared + " detections");
        }
        assertTrue(
                rows.get("truncated.jpg").getString(7).contains("truncated"),
                rows.get("truncated.jpg").getString(7));
        assertTrue(
                rows.get("notes.jpg").getString(7).contains("not an image"),
                rows.get("notes.jpg").getString(7));
    }

    @Test
    void aRetriedTaskLeavesEachImageExactlyOnce() throws Exception {
        Path list = dir.resolve("images.txt");
        try (Stream<Path> files = Files.list(images)) {
            Files.write(
                    list,
                    files.sorted()
                            .map(Path::toString)
                            .filter(p -> !p.endsWith(".txt"))
                            .toList());
        }
        SparkDetect.Summary s;
        DetectPartition.failFirstAttemptOfPartition = 0;
        try {
            s = SparkDetect.run(spark, list.toString(), dir.resolve("retried").toString(), "json", 2, settings);
        } finally {
            DetectPartition.failFirstAttemptOfPartition = -1;
        }
        assertEquals(14, s.images(), "each image once although partition 0's first attempt failed midway");
        Map<String, Row> rows = byName(dir.resolve("retried/detections"), "json");
        assertEquals(14, rows.size());
        assertEquals(2, rows.values().stream().filter(r -> !r.isNullAt(7)).count());
    }

    /**
     * The model reaches executors that cannot read the driver's path: the file is gone before any task runs (the
     * frame is lazy), so each executor must load the bytes the job shipped, as on a cluster without shared storage.
     */
    @Test
    void theModelIsShippedWithTheJobToExecutorsThatCannotReadItsPath() throws Exception {
        Path copy = dir.resolve("driver-only/model.safetensors");
        Files.createDirectories(copy.getParent());
        Files.copy(Path.of(settings.modelFile()), copy);
        SparkDetectSettings driverOnly = SparkDetectSettings.of(
                        copy.toAbsolutePath().toString())
                .withDefinition(settings.definition())
                .withDetect(192, 0.25f, 0.45f, 4, 1, io.dydet.infer.Backend.TORCH)
                .withRouter(SparkDetectSettings.RouterMode.THRESHOLD, 0.526);
        Dataset<Row> frame = SparkDetect.detect(SparkDetect.images(spark, images.toString(), 2), driverOnly);
        Files.delete(copy);
        Map<String, Row> rows = new HashMap<>();
        for (Row r : frame.collectAsList())
            rows.put(
                    Path.of(r.getString(0).replaceFirst("^file:", ""))
                            .getFileName()
                            .toString(),
                    r);
        assertEquals(14, rows.size());
        assertEquals(12, rows.values().stream().filter(r -> r.isNullAt(7)).count(), "every readable image detected");
        Path shipped = ExecutorDetectors.SHIPPED;
        try (Stream<Path> found = Files.walk(shipped)) {
            assertTrue(
                    found.anyMatch(p -> p.getFileName().toString().equals("model.safetensors")),
                    "written under " + shipped);
        }
        assertEquals(
                Files.size(Path.of(settings.modelFile())),
                Files.size(Files.walk(shipped)
                        .filter(p -> p.getFileName().toString().equals("model.safetensors"))
                        .findFirst()
                        .orElseThrow()));
    }
}
