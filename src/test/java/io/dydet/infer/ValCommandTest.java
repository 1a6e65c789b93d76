package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dydet val end to end: batch size never changes a result, and its predictions.json scores to what it printed. */
class ValCommandTest {
    @TempDir Path dir;

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
        JsonNode b1 = runJson("val", "--weights", w, "--model", "dy-yolov7", "--width", "0.25", "--data", data.toString(), "--img", "320",
                "--batch", "1", "--dy-thres", "0.537", "--json", "--project", project.toString());
        JsonNode b8 = runJson("val", "--weights", w, "--model", "dy-yolov7", "--width", "0.25", "--data", data.toString(), "--img", "320",
                "--batch", "8", "--dy-thres", "0.537", "--json", "--project", project.toString());
        assertEquals(b1.get("route1_share").asDouble(), b8.get("route1_share").asDouble());
        JsonNode rescored = runJson("cocoeval", "--gt", ValidatorTest.resource("data/coco_val2017_47/annotations/instances_val2017.json").toString(),
                "--dt", project.resolve("exp/predictions.json").toString(), "--json");
        for (var it = b1.get("stats").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertEquals(b1.get("stats").get(k).asDouble(), b8.get("stats").get(k).asDouble(), 1e-9, "batch 1 vs 8: " + k);
            assertEquals(b1.get("stats").get(k).asDouble(), rescored.get("stats").get(k).asDouble(), 1e-9, "rescored: " + k);
        }
    }
}
