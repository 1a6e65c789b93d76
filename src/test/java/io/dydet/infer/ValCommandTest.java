package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dydet val end to end: batch size never changes a result, and its predictions.json scores to what it printed; --sweep
 * prints and writes the routing diagnostics.
 */
class ValCommandTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    static JsonNode runJson(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args));
        } finally {
            System.setOut(old);
        }
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void batchOneEqualsBatchEightAndPredictionsRescoreToThePrintedNumbers() throws Exception {
        Path data = ValidatorTest.resource("data/coco_val2017_47/data.yaml");
        String w = Golden.file("dy-yolov7-w025.safetensors").toString();
        Path project = dir.resolve("runs");
        JsonNode b1 = runJson(
                "val",
                "--weights",
                w,
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--data",
                data.toString(),
                "--img",
                "320",
                "--batch",
                "1",
                "--dy-thres",
                "0.537",
                "--json",
                "--project",
                project.toString());
        JsonNode b8 = runJson(
                "val",
                "--weights",
                w,
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--data",
                data.toString(),
                "--img",
                "320",
                "--batch",
                "8",
                "--dy-thres",
                "0.537",
                "--json",
                "--project",
                project.toString());
        assertEquals(b1.get("route1_share").asDouble(), b8.get("route1_share").asDouble());
        JsonNode rescored = runJson(
                "cocoeval",
                "--gt",
                ValidatorTest.resource("data/coco_val2017_47/annotations/instances_val2017.json")
                        .toString(),
                "--dt",
                project.resolve("exp/predictions.json").toString(),
                "--json");
        for (var it = b1.get("stats").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertEquals(
                    b1.get("stats").get(k).asDouble(), b8.get("stats").get(k).asDouble(), 1e-9, "batch 1 vs 8: " + k);
            assertEquals(
                    b1.get("stats").get(k).asDouble(),
                    rescored.get("stats").get(k).asDouble(),
                    1e-9,
                    "rescored: " + k);
        }
    }

    static String runText(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void sweepPrintsRandomAndOracleColumnsAndTheRoutingEfficacy() throws Exception {
        Path data = ValidatorTest.resource("data/coco_val2017_47/data.yaml");
        String w = Golden.file("dy-yolov7-w025.safetensors").toString();
        Path project = dir.resolve("runs");
        String text = runText(
                "val",
                "--weights",
                w,
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--data",
                data.toString(),
                "--img",
                "320",
                "--batch",
                "8",
                "--sweep",
                "--random-draws",
                "3",
                "--seed",
                "5",
                "--project",
                project.toString());
        Path run = project.resolve("exp");
        JsonNode routing =
                new ObjectMapper().readTree(run.resolve("routing.json").toFile());
        JsonNode sweep = new ObjectMapper().readTree(run.resolve("sweep.json").toFile());
        assertEquals(3, routing.get("random_draws").asInt());
        assertEquals("ap_contribution", routing.get("oracle_criterion").asText(), "47 images: the set-level oracle");
        assertEquals(
                SweepFiles.CSV_HEADER_WITH_DIAGNOSTICS,
                Files.readAllLines(run.resolve("sweep.csv")).get(0));

        List<String> lines = text.lines().toList();
        int header = -1;
        for (int i = 0; i < lines.size() && header < 0; i++) if (lines.get(i).startsWith("threshold")) header = i;
        assertTrue(header >= 0, text);
        assertTrue(lines.get(header).matches(".*AP50\\s+random \\(mean \\+- sd\\)\\s+oracle"), lines.get(header));
        int rows = sweep.size();
        assertEquals(11, rows);
        for (int i = 0; i < rows; i++) {
            // the table's last columns (printed in the default locale) are the random mean, "+-", its sd and the
            // oracle, as in routing.json and sweep.json
            List<String> cells =
                    new ArrayList<>(List.of(lines.get(header + 1 + i).trim().split("\\s+")));
            int n = cells.size();
            assertEquals("+-", cells.get(n - 3));
            assertEquals(
                    String.format("%.4f", routing.get("random_ap_mean").get(i).asDouble()), cells.get(n - 4));
            assertEquals(
                    String.format("%.4f", routing.get("random_ap_sd").get(i).asDouble()), cells.get(n - 2));
            assertEquals(String.format("%.4f", routing.get("oracle_ap").get(i).asDouble()), cells.get(n - 1));
            assertEquals(
                    sweep.get(i).get("AP").asDouble(),
                    routing.get("router_ap").get(i).asDouble(),
                    0.0);
            assertEquals(
                    sweep.get(i).get("AP_oracle").asDouble(),
                    routing.get("oracle_ap").get(i).asDouble(),
                    0.0);
            assertEquals(
                    sweep.get(i).get("easy_share").asDouble() > 0
                            && sweep.get(i).get("easy_share").asDouble() < 1
                            && routing.get("router_ap").get(i).asDouble()
                                    > routing.get("random_ap_mean").get(i).asDouble(),
                    cells.get(7).equals(">"),
                    "row " + i + " marked as above random");
        }
        JsonNode efficacy = routing.get("efficacy");
        String expected = efficacy.isNull()
                ? "routing efficacy: undefined"
                : String.format("routing efficacy: %.3f (1 = oracle, 0 = random)", efficacy.asDouble());
        assertTrue(text.contains(expected), text);
    }

    @Test
    void randomDrawsAreZeroOrAtLeastTwo() {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(
                    1,
                    Main.run(
                            "val",
                            "--weights",
                            "w.safetensors",
                            "--data",
                            "missing.yaml",
                            "--sweep",
                            "--random-draws",
                            "1"));
        } finally {
            System.setErr(old);
        }
        assertTrue(
                err.toString(StandardCharsets.UTF_8)
                        .contains("--random-draws must be 0 (no routing diagnostics) or at least 2, got 1"),
                err.toString());
    }
}
