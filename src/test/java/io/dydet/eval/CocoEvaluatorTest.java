package io.dydet.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CocoEvaluatorTest {
    private static final double TOL = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest difference seen against any expected pycocotools number (reported at the end). */
    private static double maxDiff;

    @TempDir
    Path tmp;

    static Path resource(String name) {
        URL url = CocoEvaluatorTest.class.getResource("/" + name);
        if (url == null) throw new IllegalStateException("test resource missing: " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static synchronized void check(String what, double expected, double actual) {
        double diff = Math.abs(expected - actual);
        maxDiff = Math.max(maxDiff, diff);
        assertEquals(expected, actual, TOL, what);
    }

    @AfterAll
    static void report() {
        System.out.println("CocoEvaluatorTest: largest difference against pycocotools' numbers: " + maxDiff);
    }

    // ------------------------------------------------------------------------------------------ golden cases

    @ParameterizedTest
    @ValueSource(strings = {"basic", "crowd", "edge"})
    void goldenCaseMatchesPycocotools(String name) throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(resource("golden/cocoeval/" + name + ".gt.json"));
        CocoMetrics m = CocoEvaluator.evaluate(gt, resource("golden/cocoeval/" + name + ".dt.json"));
        JsonNode exp = JSON.readTree(
                resource("golden/cocoeval/" + name + ".expected.json").toFile());

        assertEquals(exp.get("n_images").asInt(), gt.imageIds().length, "images");
        assertEquals(exp.get("n_gt").asInt(), gt.annotationCount(), "annotations");
        JsonNode stats = exp.get("stats");
        assertEquals(12, stats.size());
        double[] got = m.stats();
        for (int i = 0; i < 12; i++) {
            String s = CocoMetrics.STAT_NAMES.get(i);
            check(name + " " + s, stats.get(s).asDouble(), got[i]);
            check(name + " " + s + " by name", stats.get(s).asDouble(), m.stat(s));
        }
        JsonNode pc = exp.get("per_category");
        assertEquals(pc.size(), m.perCategory().size(), "categories");
        for (Iterator<Map.Entry<String, JsonNode>> it = pc.fields(); it.hasNext(); ) {
            var e = it.next();
            CocoMetrics.CategoryAp c = m.perCategory().get(Integer.parseInt(e.getKey()));
            check(
                    name + " category " + e.getKey() + " AP",
                    e.getValue().get("AP").asDouble(),
                    c.ap());
            check(
                    name + " category " + e.getKey() + " AP50",
                    e.getValue().get("AP50").asDouble(),
                    c.ap50());
        }
        // the same through the JSON form
        JsonNode mine = JSON.readTree(m.toJson());
        for (String s : CocoMetrics.STAT_NAMES)
            check(
                    name + " json " + s,
                    stats.get(s).asDouble(),
                    mine.get("stats").get(s).asDouble());
        for (Iterator<String> it = pc.fieldNames(); it.hasNext(); ) {
            String id = it.next();
            check(
                    name + " json " + id,
                    pc.get(id).get("AP").asDouble(),
                    mine.get("per_category").get(id).get("AP").asDouble());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"route1", "route2"})
    void endToEndValidationMatchesPycocotools(String route) throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(resource("data/coco_val2017_47/annotations/instances_val2017.json"));
        assertEquals(47, gt.imageIds().length);
        List<Long> imgIds = new ArrayList<>();
        for (long id : gt.imageIds()) imgIds.add(id);
        List<CocoDetection> dts = CocoDetection.readResults(resource("golden/e2e-val/" + route + ".dt.json"));
        assertEquals(14100, dts.size());
        CocoMetrics m = CocoEvaluator.evaluate(gt, dts, imgIds);

        JsonNode exp =
                JSON.readTree(resource("golden/e2e-val/expected.json").toFile()).get(route);
        JsonNode list = exp.get("stats_list");
        double[] got = m.stats();
        for (int i = 0; i < 12; i++) {
            String s = CocoMetrics.STAT_NAMES.get(i);
            check(route + " " + s, list.get(i).asDouble(), got[i]);
            check(route + " " + s + " by name", exp.get("stats").get(s).asDouble(), got[i]);
        }
        // params.imgIds = all images is the default
        assertEquals(
                Arrays.toString(got),
                Arrays.toString(CocoEvaluator.evaluate(gt, dts).stats()));
    }

    // ------------------------------------------------------------------------------------------ properties

    private static List<CocoDetection> groundTruthAsDetections(CocoGroundTruth gt, double dxFrac, double dyFrac) {
        List<CocoDetection> out = new ArrayList<>();
        for (CocoGroundTruth.Annotation a : gt.annotations()) {
            if (a.iscrowd()) continue;
            out.add(new CocoDetection(
                    a.imageId(),
                    a.categoryId(),
                    a.x() + dxFrac * a.width(),
                    a.y() + dyFrac * a.height(),
                    a.width(),
                    a.height(),
                    1.0));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "golden/cocoeval/basic.gt.json",
                "golden/cocoeval/crowd.gt.json",
                "golden/cocoeval/edge.gt.json",
                "data/coco_val2017_47/annotations/instances_val2017.json",
                "data/coco128/annotations/instances_train2017.json"
            })
    void groundTruthAsDetectionsScoresOne(String file) throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(resource(file));
        CocoMetrics m = CocoEvaluator.evaluate(gt, groundTruthAsDetections(gt, 0, 0));
        assertEquals(1.0, m.ap(), 1e-9, "AP");
        assertEquals(1.0, m.ap50(), 1e-9, "AP50");
        assertEquals(1.0, m.ap75(), 1e-9, "AP75");
        assertEquals(1.0, m.ar100(), 1e-9, "AR100");
        for (var e : m.perCategory().entrySet()) {
            double ap = e.getValue().ap();
            assertTrue(ap == -1 || Math.abs(ap - 1) < 1e-9, "category " + e.getKey() + " AP " + ap);
        }
        assertEquals(String.format("%.3f", 1.0), String.format("%.3f", m.ap()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/cocoeval/basic.gt.json", "data/coco_val2017_47/annotations/instances_val2017.json"})
    void shiftedBoxesScoreFarLower(String file) throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(resource(file));
        CocoMetrics exact = CocoEvaluator.evaluate(gt, groundTruthAsDetections(gt, 0, 0));
        CocoMetrics shifted = CocoEvaluator.evaluate(gt, groundTruthAsDetections(gt, 0.3, 0.3));
        // IoU of a box shifted by 30% in x and y with itself: 0.49 / 1.51 = 0.32 < 0.5
        assertTrue(shifted.ap() < 0.1 * exact.ap(), "AP " + shifted.ap());
        assertTrue(shifted.ap50() < 0.2 * exact.ap50(), "AP50 " + shifted.ap50());
        // shifted in x only: IoU 0.7 / 1.3 = 0.54, a match at .50 only
        CocoMetrics shiftedX = CocoEvaluator.evaluate(gt, groundTruthAsDetections(gt, 0.3, 0));
        assertTrue(shiftedX.ap50() > 0.9, "AP50 " + shiftedX.ap50());
        assertTrue(shiftedX.ap75() < 0.1, "AP75 " + shiftedX.ap75());
        assertTrue(shiftedX.ap() < 0.2, "AP " + shiftedX.ap());
    }

    // ------------------------------------------------------------------------------------------ hand-computed

    private static CocoGroundTruth.Builder oneImage() {
        return CocoGroundTruth.builder().addImage(7).addCategory(3, "cat").addCategory(9, "dog");
    }

    @Test
    void falsePositiveAboveTruePositive() {
        CocoGroundTruth gt = oneImage().addAnnotation(7, 3, 10, 10, 50, 50).build();
        List<CocoDetection> dts = List.of(
                new CocoDetection(7, 3, 200, 200, 50, 50, 0.9), // false positive, ranked first
                new CocoDetection(7, 3, 10, 10, 50, 50, 0.8)); // exact match
        CocoMetrics m = CocoEvaluator.evaluate(gt, dts);
        // tp [0, 1], fp [1, 1] -> precision [0, .5] -> envelope [.5, .5] at every recall threshold
        assertEquals(0.5, m.ap(), 1e-12);
        assertEquals(0.5, m.ap50(), 1e-12);
        assertEquals(-1, m.apSmall());
        assertEquals(0.5, m.apMedium(), 1e-12); // 2500 px
        assertEquals(-1, m.apLarge());
        assertEquals(0.0, m.ar1()); // the top-1 detection is the false one
        assertEquals(1.0, m.ar10());
        assertEquals(1.0, m.ar100());
        assertEquals(-1, m.perCategory().get(9).ap());
        assertEquals(0.5, m.perCategory().get(3).ap50(), 1e-12);
    }

    @Test
    void partialOverlapCountsPerThreshold() {
        // detection shifted by 10 px on a 100 px box: IoU = 90 * 100 / (2 * 10000 - 9000) = 0.8182
        CocoGroundTruth gt = oneImage().addAnnotation(7, 3, 0, 0, 100, 100).build();
        CocoMetrics m = CocoEvaluator.evaluate(gt, List.of(new CocoDetection(7, 3, 10, 0, 100, 100, 0.5)));
        // matched at .50 .. .80 (7 of 10 thresholds)
        assertEquals(0.7, m.ap(), 1e-12);
        assertEquals(0.7, m.ar100(), 1e-12);
        assertEquals(1.0, m.ap75(), 1e-12);
    }

    @Test
    void detectionInsideCrowdRegionIsIgnored() {
        CocoGroundTruth gt = oneImage()
                .addAnnotation(7, 3, 0, 0, 40, 40)
                .addAnnotation(7, 3, 100, 100, 300, 300, 50000, true)
                .build();
        List<CocoDetection> dts = List.of(
                new CocoDetection(7, 3, 150, 150, 30, 30, 0.9), // inside the crowd region: IoU = 900 / 900 = 1
                new CocoDetection(7, 3, 200, 200, 30, 30, 0.85), // also inside: crowd regions match repeatedly
                new CocoDetection(7, 3, 0, 0, 40, 40, 0.8));
        CocoMetrics m = CocoEvaluator.evaluate(gt, dts);
        assertEquals(1.0, m.ap(), 1e-12);
        // without the crowd flag these are false positives above the true one
        CocoGroundTruth plain = oneImage()
                .addAnnotation(7, 3, 0, 0, 40, 40)
                .addAnnotation(7, 3, 100, 100, 300, 300, 50000, false)
                .build();
        assertTrue(CocoEvaluator.evaluate(plain, dts).ap50() < 0.6);
    }

    @Test
    void groundTruthAreaFieldDecidesItsRangeAndDuplicatesAreFalse() {
        // a 50 x 50 box (2500 px) whose COCO area says 500 (small)
        CocoGroundTruth gt =
                oneImage().addAnnotation(7, 3, 0, 0, 50, 50, 500, false).build();
        List<CocoDetection> dts = List.of(
                new CocoDetection(7, 3, 0, 0, 50, 50, 0.9), new CocoDetection(7, 3, 0, 0, 50, 50, 0.8)); // duplicate
        CocoMetrics m = CocoEvaluator.evaluate(gt, dts);
        assertEquals(1.0, m.apSmall(), 1e-12); // matched one, the unmatched duplicate (2500 px) is outside "small"
        assertEquals(-1, m.apMedium()); // no ground truth in the medium range
        assertEquals(1.0, m.ap(), 1e-12); // the duplicate ranks below the match: precision envelope stays 1
    }

    @Test
    void scoreTiesKeepInputOrder() {
        CocoGroundTruth gt = oneImage().addAnnotation(7, 3, 0, 0, 50, 50).build();
        CocoDetection good = new CocoDetection(7, 3, 0, 0, 50, 50, 0.5);
        CocoDetection bad = new CocoDetection(7, 3, 300, 300, 50, 50, 0.5);
        assertEquals(1.0, CocoEvaluator.evaluate(gt, List.of(good, bad)).ap(), 1e-12);
        assertEquals(0.5, CocoEvaluator.evaluate(gt, List.of(bad, good)).ap(), 1e-12);
    }

    @Test
    void imageSubsetLeavesOtherImagesOut() throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(resource("golden/cocoeval/basic.gt.json"));
        List<CocoDetection> dts = CocoDetection.readResults(resource("golden/cocoeval/basic.dt.json"));
        long[] ids = gt.imageIds();
        List<Long> half = new ArrayList<>();
        for (int i = 0; i < ids.length; i += 2) half.add(ids[i]);
        List<CocoDetection> inHalf =
                dts.stream().filter(d -> half.contains(d.imageId())).toList();
        CocoMetrics a = CocoEvaluator.evaluate(gt, dts, half);
        CocoMetrics b = CocoEvaluator.evaluate(gt, inHalf, half);
        assertEquals(a, b);
        assertTrue(a.ap() != CocoEvaluator.evaluate(gt, dts).ap());
        assertThrows(IllegalArgumentException.class, () -> CocoEvaluator.evaluate(gt, dts, List.of(123456789L)));
    }

    @Test
    void noDetectionsGiveZeroAndUnknownCategoriesAreSkipped() {
        CocoGroundTruth gt = oneImage().addAnnotation(7, 3, 0, 0, 50, 50).build();
        CocoMetrics none = CocoEvaluator.evaluate(gt, List.of());
        assertEquals(0.0, none.ap());
        assertEquals(0.0, none.ar100());
        CocoMetrics other = CocoEvaluator.evaluate(gt, List.of(new CocoDetection(7, 42, 0, 0, 50, 50, 0.9)));
        assertEquals(0.0, other.ap());
    }

    @Test
    void toJsonHasTheDocumentedShape() throws IOException {
        CocoGroundTruth gt = oneImage().addAnnotation(7, 3, 0, 0, 50, 50).build();
        JsonNode j = JSON.readTree(CocoEvaluator.evaluate(gt, List.of(new CocoDetection(7, 3, 0, 0, 50, 50, 1)))
                .toJson());
        List<String> names = new ArrayList<>();
        j.get("stats").fieldNames().forEachRemaining(names::add);
        assertEquals(CocoMetrics.STAT_NAMES, names);
        assertEquals(1.0, j.get("stats").get("AP").asDouble(), 1e-12);
        assertEquals(-1.0, j.get("per_category").get("9").get("AP50").asDouble());
        assertEquals(1.0, j.get("per_category").get("3").get("AP").asDouble(), 1e-12);
    }

    // ------------------------------------------------------------------------------------------ malformed input

    private Path write(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private static final String GT = """
            {"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 5, "name": "a"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
            """;

    private void assertGtError(String content, String... fragments) throws IOException {
        Path p = write("bad.gt.json", content);
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoGroundTruth.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }

    private void assertDtError(String content, String... fragments) throws IOException {
        Path p = write("bad.dt.json", content);
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoDetection.readResults(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }

    @Test
    void malformedGroundTruthIsReportedClearly() throws IOException {
        assertTrue(CocoGroundTruth.read(write("ok.gt.json", GT)).annotationCount() == 1);
        assertGtError(GT.replace("\"area\": 100, ", ""), "$.annotations[0]", "missing field 'area'");
        assertGtError(
                GT.replace("\"bbox\": [0, 0, 10, 10]", "\"bbox\": [0, 0, 10]"), "$.annotations[0].bbox", "4 numbers");
        assertGtError(
                GT.replace("\"bbox\": [0, 0, 10, 10]", "\"bbox\": \"0 0 10 10\""), "$.annotations[0].bbox", "a string");
        assertGtError(
                GT.replace("\"image_id\": 1,", "\"image_id\": \"1\","),
                "$.annotations[0].image_id",
                "expected an integer");
        assertGtError(
                GT.replace("\"image_id\": 1,", "\"image_id\": 3,"),
                "$.annotations[0].image_id",
                "not among the images");
        assertGtError(
                GT.replace("\"category_id\": 5,", "\"category_id\": 6,"),
                "$.annotations[0].category_id",
                "not among the categories");
        assertGtError(GT.replace("\"iscrowd\": 0", "\"iscrowd\": null"), "$.annotations[0].iscrowd", "null");
        assertGtError(GT.replace("{\"id\": 2}", "{\"file_name\": \"x.jpg\"}"), "$.images[1]", "missing field 'id'");
        assertGtError(GT.replace("\"categories\"", "\"kategorien\""), "missing top-level field 'categories'");
        assertGtError("[" + GT + "]", "expected a JSON object");
        assertGtError(GT.substring(0, 60), "invalid JSON");
        String twice = GT.replace(
                "\"iscrowd\": 0}]",
                "\"iscrowd\": 0}, {\"id\": 1, \"image_id\": 2, \"category_id\": 5, "
                        + "\"bbox\": [0, 0, 1, 1], \"area\": 1, \"iscrowd\": 0}]");
        assertGtError(twice, "$.annotations[1].id", "duplicate annotation id 1");
    }

    @Test
    void malformedResultsAreReportedClearly() throws IOException {
        String ok = "[{\"image_id\": 1, \"category_id\": 5, \"bbox\": [0, 0, 10, 10], \"score\": 0.5},"
                + " {\"image_id\": 2, \"category_id\": 5, \"bbox\": [1, 1, 10, 10], \"score\": 0.25}]";
        assertEquals(2, CocoDetection.readResults(write("ok.dt.json", ok)).size());
        assertDtError(ok.replace(", \"score\": 0.25", ""), "$[1]", "missing field 'score'");
        assertDtError(ok.replace("\"score\": 0.25", "\"score\": \"high\""), "$[1].score", "expected a number");
        assertDtError(ok.replace("[1, 1, 10, 10]", "[1, 1, 10, \"10\"]"), "$[1].bbox[3]", "expected a number");
        assertDtError(ok.replace("[1, 1, 10, 10]", "[1, 1, 10, 10, 3]"), "$[1].bbox", "more than 4");
        assertDtError(ok.replace("\"image_id\": 2", "\"image_id\": 2.5"), "$[1].image_id", "expected an integer");
        assertDtError("{\"detections\": " + ok + "}", "expected a JSON array");
        assertDtError("[1, 2]", "$[0]", "expected an object");
        assertDtError(ok.substring(0, ok.length() - 5), "invalid JSON");

        // a detection for an image the ground truth does not have (pycocotools asserts)
        CocoGroundTruth gt = CocoGroundTruth.read(write("ok.gt.json", GT));
        Path dt = write("unknown-image.dt.json", ok.replace("\"image_id\": 2", "\"image_id\": 99"));
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoEvaluator.evaluate(gt, dt));
        assertTrue(
                e.getMessage().contains(dt.toString())
                        && e.getMessage().contains("$[1].image_id")
                        && e.getMessage().contains("99"),
                e.getMessage());
        IllegalArgumentException iae = assertThrows(
                IllegalArgumentException.class,
                () -> CocoEvaluator.evaluate(gt, List.of(new CocoDetection(99, 5, 0, 0, 1, 1, 1))));
        assertTrue(iae.getMessage().contains("$[0].image_id"), iae.getMessage());
    }
}
