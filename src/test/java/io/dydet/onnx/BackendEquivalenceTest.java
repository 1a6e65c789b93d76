package io.dydet.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dydet detect --backend onnxruntime} against {@code --backend torch} on the golden images and a slice of
 * COCO val2017: rows matched by class, boxes within 0.1 px in letterbox coordinates, confidences within 1e-4; only
 * rows at the confidence threshold (within 1e-4 of it) may be missing on one side.
 */
class BackendEquivalenceTest {
    static final int IMG = 320;
    static final double CONF = 0.25;

    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void detectionsOfBothBackendsAgree() throws Exception {
        Path src = Files.createDirectories(dir.resolve("images"));
        Files.copy(Golden.file("images/demo.png"), src.resolve("demo.png"));
        Files.copy(Golden.file("images/grace_hopper.png"), src.resolve("grace_hopper.png"));
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/data/coco_val2017_47/images/val2017"))) {
            for (Path p : s.sorted().limit(10).toList()) Files.copy(p, src.resolve(p.getFileName()));
        }
        JsonNode torch = detect(src, "torch"), ort = detect(src, "onnxruntime");
        assertEquals(12, torch.size());
        assertEquals(torch.size(), ort.size());
        int rows = 0, routes2 = 0;
        for (int i = 0; i < torch.size(); i++) {
            JsonNode a = torch.get(i), b = ort.get(i);
            String what = a.get("file").asText();
            assertEquals(what, b.get("file").asText());
            assertEquals(a.get("route").asInt(), b.get("route").asInt(), what + " route");
            assertEquals(a.get("score").asDouble(), b.get("score").asDouble(), 1e-5, what + " score");
            if (a.get("route").asInt() == 2) routes2++;
            double ratio = (double) IMG
                    / Math.max(a.get("width").asInt(), a.get("height").asInt());
            rows += match(what, a.get("detections"), b.get("detections"), ratio);
            match(what + " (reverse)", b.get("detections"), a.get("detections"), ratio);
        }
        assertTrue(rows > 50, "compared " + rows + " detections");
        assertTrue(
                routes2 > 0 && routes2 < torch.size(),
                "both routes taken: " + routes2 + " of " + torch.size() + " on route 2");
    }

    private JsonNode detect(Path src, String backend) throws Exception {
        Path project = dir.resolve("runs-" + backend);
        // the threshold splits these images between the routes
        assertEquals(
                0,
                Main.run(
                        "detect",
                        "--weights",
                        Golden.file("dy-yolov7-w025.safetensors").toString(),
                        "--cfg",
                        Golden.file("dy-yolov7-w025.yaml").toString(),
                        "--source",
                        src.toString(),
                        "--img",
                        String.valueOf(IMG),
                        "--dy-thres",
                        "0.5345",
                        "--backend",
                        backend,
                        "--no-save-img",
                        "--project",
                        project.toString(),
                        "--threads",
                        "2"));
        return new ObjectMapper()
                .readTree(project.resolve("exp/detections.json").toFile());
    }

    /** Every row of {@code want} found in {@code got}; returns how many were compared. */
    private static int match(String what, JsonNode want, JsonNode got, double ratio) {
        boolean[] used = new boolean[got.size()];
        int n = 0;
        for (JsonNode w : want) {
            int found = -1;
            for (int j = 0; j < got.size() && found < 0; j++) {
                JsonNode g = got.get(j);
                if (used[j] || g.get("class_id").asInt() != w.get("class_id").asInt()) continue;
                if (Math.abs(g.get("confidence").asDouble()
                                - w.get("confidence").asDouble())
                        > 1e-4) continue;
                boolean close = true;
                for (int k = 0; k < 4; k++)
                    close &= Math.abs(g.get("box").get(k).asDouble()
                                            - w.get("box").get(k).asDouble())
                                    * ratio
                            <= 0.1;
                if (close) found = j;
            }
            if (found >= 0) {
                used[found] = true;
                n++;
            } else {
                assertTrue(Math.abs(w.get("confidence").asDouble() - CONF) < 1e-4, what + ": no match for " + w);
            }
        }
        return n;
    }
}
