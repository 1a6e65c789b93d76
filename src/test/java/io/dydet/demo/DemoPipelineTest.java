package io.dydet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.engine.Engines;
import io.dydet.infer.SweepFiles;
import io.dydet.model.ModelFiles;
import io.dydet.model.ThresholdTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo in its reduced form (16 images at 64 px, one epoch per step): every promised output is there and consistent. */
class DemoPipelineTest {
    @TempDir
    static Path dir;

    static DemoReport report;
    static JsonNode json;

    @BeforeAll
    static void runDemo() throws IOException {
        Engines.start(2);
        report = DemoPipeline.run(DemoSettings.reduced(dir.resolve("demo")), DemoListener.SILENT);
        json = new ObjectMapper().readTree(dir.resolve("demo/demo.json").toFile());
    }

    @Test
    void tradeoffTableHasOneRowPerCalibratedThresholdWithGflopsRisingWithRoute2Share() throws IOException {
        List<String> lines = Files.readAllLines(report.out().resolve("sweep.csv"));
        assertEquals(SweepFiles.CSV_HEADER_WITH_DIAGNOSTICS, lines.get(0));
        ThresholdTable table;
        try (NDManager m = NDManager.newBaseManager()) {
            table = ModelFiles.open(report.model(), null, m).artifact().thresholds();
        }
        assertNotNull(table, "the demo's model file carries its calibration");
        assertEquals(table.entries().size(), lines.size() - 1, "one sweep row per calibrated threshold");
        double lastHard = -1, lastGflops = -1;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            assertEquals(
                    table.entries().get(i - 1).threshold(),
                    Double.parseDouble(f[0]),
                    1e-6,
                    "row " + i + " uses calibrated threshold");
            double hard = Double.parseDouble(f[2]), gflops = Double.parseDouble(f[3]);
            assertTrue(hard >= lastHard, "rows go from all route 1 to all route 2: " + lines.get(i));
            assertTrue(gflops >= lastGflops - 1e-9, "GFLOPs rise with the route-2 share: " + lines.get(i));
            lastHard = hard;
            lastGflops = gflops;
        }
        double first = Double.parseDouble(lines.get(1).split(",")[3]),
                last = Double.parseDouble(lines.get(lines.size() - 1).split(",")[3]);
        assertEquals(0.0, Double.parseDouble(lines.get(1).split(",")[2]), 1e-9, "first row: every image on route 1");
        assertEquals(
                1.0,
                Double.parseDouble(lines.get(lines.size() - 1).split(",")[2]),
                1e-9,
                "last row: every image on route 2");
        assertTrue(last > first, "route 2 costs more than route 1: " + first + " vs " + last);
    }

    @Test
    void everyAnnotatedImageSitsInTheFolderOfItsRouteAsTheJsonSays() throws IOException {
        JsonNode images = json.get("images");
        assertEquals(report.data().valImages(), images.size(), "one entry per validation image");
        double threshold = json.get("annotated_threshold").asDouble();
        for (JsonNode img : images) {
            int route = img.get("route").asInt();
            Path annotated = report.out().resolve(img.get("annotated").asText());
            assertTrue(Files.isRegularFile(annotated), annotated + " exists");
            assertEquals(
                    route == 1 ? "easy" : "hard",
                    annotated.getParent().getFileName().toString(),
                    img.toString());
            assertEquals(
                    img.get("score").asDouble() >= (float) threshold ? 1 : 2,
                    route,
                    "route follows score and threshold: " + img);
            assertNotNull(ImageIO.read(annotated.toFile()), annotated + " is a readable image");
        }
        try (Stream<Path> files = Files.walk(report.out().resolve("annotated"))) {
            assertEquals(
                    images.size(),
                    files.filter(Files::isRegularFile).count(),
                    "no annotated image without a JSON entry");
        }
    }

    @Test
    void reportNamesTheRouterAgainstDifficultyAndTheTrainingRuns() throws IOException {
        JsonNode rvd = json.get("router_vs_difficulty");
        double auc = rvd.get("auc").asDouble();
        assertTrue(auc >= 0 && auc <= 1, "AUC " + auc);
        assertEquals(report.router().auc(), auc, 1e-12);
        assertEquals(
                report.data().valImages(),
                rvd.get("easy_images").asInt() + rvd.get("hard_images").asInt());
        for (String png : new String[] {
            "tradeoff.png", "sweep.png", "router_vs_difficulty.png", "train/results.png", "train-router/results.png"
        }) {
            assertNotNull(ImageIO.read(report.out().resolve(png).toFile()), png);
        }
        assertTrue(Files.isRegularFile(report.out().resolve("train/results.csv")));
        assertTrue(Files.isRegularFile(report.out().resolve("data/difficulty.csv")));
        JsonNode claims = json.get("claims");
        for (String k : new String[] {
            "ap_rises_with_route2_share", "ms_rises_with_route2_share", "router_scores_hard_images_lower"
        }) {
            assertTrue(claims.get(k).isBoolean(), k);
        }
        try (Stream<Path> files = Files.walk(report.out())) {
            assertFalse(
                    files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    @Test
    void routingSectionHoldsTheThreeCurvesAtTheSweepsSharesAndThePlanAsRun() throws IOException {
        JsonNode routing = json.get("routing");
        assertEquals(report.router().auc(), routing.get("auc").asDouble(), 1e-12);
        JsonNode sweep = json.get("sweep");
        for (String k : new String[] {"easy_shares", "router_ap", "random_ap_mean", "random_ap_sd", "oracle_ap"}) {
            assertEquals(sweep.size(), routing.get(k).size(), k + ": one value per sweep row");
        }
        assertEquals(20, routing.get("random_draws").asInt());
        for (int i = 0; i < sweep.size(); i++) {
            assertEquals(
                    sweep.get(i).get("easy_share").asDouble(),
                    routing.get("easy_shares").get(i).asDouble(),
                    1e-9);
            assertEquals(
                    sweep.get(i).get("AP").asDouble(),
                    routing.get("router_ap").get(i).asDouble(),
                    1e-12,
                    "row " + i);
            assertTrue(routing.get("random_ap_sd").get(i).asDouble() >= 0);
        }
        // all on one route: every router, random or not, gives the same AP
        int last = sweep.size() - 1;
        for (int i : new int[] {0, last}) {
            assertEquals(
                    routing.get("router_ap").get(i).asDouble(),
                    routing.get("random_ap_mean").get(i).asDouble(),
                    1e-12);
            assertEquals(
                    routing.get("router_ap").get(i).asDouble(),
                    routing.get("oracle_ap").get(i).asDouble(),
                    1e-12);
        }
        JsonNode rvd = json.get("router_vs_difficulty");
        double hard = rvd.get("mean_route2_ap_contribution_hard").asDouble(),
                easy = rvd.get("mean_route2_ap_contribution_easy").asDouble();
        assertEquals(
                hard > easy,
                json.get("claims").get("route2_helps_hard_images_more").asBoolean());
        double sum = 0;
        for (JsonNode img : json.get("images"))
            sum += img.get("route2_ap_contribution").asDouble();
        assertEquals(
                (hard + easy) / 2, sum / json.get("images").size(), 1e-12, "as many easy as hard validation images");
        JsonNode plan = json.get("plan");
        assertEquals(
                report.settings().detectorEpochs(),
                plan.get("detector_epochs").get("planned").asInt());
        assertTrue(plan.get("detector_epochs").get("run").asInt()
                <= plan.get("detector_epochs").get("planned").asInt());
        assertTrue(Files.isRegularFile(report.out().resolve("routing.json")));
        assertTrue(
                Files.readString(report.out().resolve("train-router/results.csv"))
                        .contains("train/difficulty_auc"),
                "step 2 trained on the held-out split reports the router against the generated difficulty");
    }

    @Test
    void theSameSeedGivesTheSameScoresAndAccuracy() throws IOException {
        DemoReport again = DemoPipeline.run(DemoSettings.reduced(dir.resolve("again")), DemoListener.SILENT);
        assertEquals(report.images().size(), again.images().size());
        for (int i = 0; i < report.images().size(); i++) {
            assertEquals(
                    report.images().get(i).score(),
                    again.images().get(i).score(),
                    0f,
                    report.images().get(i).file());
        }
        for (int i = 0; i < report.rows().size(); i++) {
            assertEquals(
                    report.rows().get(i).metrics().ap(),
                    again.rows().get(i).metrics().ap(),
                    0.0,
                    "AP of sweep row " + i);
        }
    }

    /** The README's Java example, on the demo's model: the calibrated share picks the threshold, every image gets a route. */
    @Test
    void readmeApiExampleRunsOnTheDemoModel() throws Exception {
        Path image =
                report.out().resolve("data/images/val").toFile().listFiles()[0].toPath();
        try (io.dydet.infer.Detector detector = io.dydet.infer.Detector.builder()
                .weights(report.model())
                .easyRatio(0.5)
                .threads(2)
                .build()) {
            io.dydet.infer.ImageDetections r = detector.detect(image);
            assertTrue(r.ok(), String.valueOf(r.error()));
            assertEquals(
                    r.routerScore() >= detector.routerThreshold() ? 1 : 2,
                    r.route().number());
            ThresholdTable t;
            try (NDManager m = NDManager.newBaseManager()) {
                t = ModelFiles.open(report.model(), null, m).artifact().thresholds();
            }
            assertEquals(t.thresholdForEasyRatio(0.5), detector.routerThreshold(), 1e-6);
        }
    }

    @Test
    void theDemoDataPassesTheTrainingDataChecks() throws IOException {
        io.dydet.data.DataConfig dc =
                io.dydet.data.DataConfig.load(report.data().dataYaml());
        for (String split : new String[] {"train", "val"}) {
            io.dydet.data.train.TrainingSet set = io.dydet.data.train.TrainingSet.open(
                    dc.images(split), dc.nc(), dir.resolve("cache-" + split), split);
            assertTrue(set.problems().isEmpty(), split + ": " + set.problems());
            assertEquals(
                    split.equals("train")
                            ? report.data().trainImages()
                            : report.data().valImages(),
                    set.images().size(),
                    split);
        }
    }

    @Test
    void aBudgetTooSmallStopsWithAdviceAfterTheFirstEpoch() {
        DemoSettings tight = DemoSettings.reduced(dir.resolve("tight")).withMinutes(0.001);
        DemoBudgetException e =
                assertThrows(DemoBudgetException.class, () -> DemoPipeline.run(tight, DemoListener.SILENT));
        assertTrue(e.getMessage().contains("--images") && e.getMessage().contains("--minutes"), e.getMessage());
    }

    @Test
    void aFolderInUseIsRefused() {
        IOException e = assertThrows(
                IOException.class, () -> DemoPipeline.run(DemoSettings.reduced(report.out()), DemoListener.SILENT));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    }
}
