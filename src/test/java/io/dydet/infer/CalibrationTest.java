package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ThresholdTable;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dydet calibrate stores thresholds in the model file; --easy-ratio and --gflops use them. */
class CalibrationTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void calibrateThenEvaluateAtAnEasyRatio() throws Exception {
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, Main.run("import", Golden.file("dy-yolov7-w025.ckpt.pt").toString(), "-o", model.toString()));
        Path data = ValidatorTest.resource("data/coco_val2017_47/data.yaml");
        // no calibration yet: a clear error that names the command
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(
                    1,
                    Main.run(
                            "val",
                            "--weights",
                            model.toString(),
                            "--data",
                            data.toString(),
                            "--img",
                            "320",
                            "--easy-ratio",
                            "0.5"));
        } finally {
            System.setErr(oldErr);
        }
        assertTrue(
                err.toString(StandardCharsets.UTF_8).contains("dydet calibrate"), err.toString(StandardCharsets.UTF_8));
        // a data set whose nc disagrees with the model: a clear error before any work
        Path nc2 = dir.resolve("nc2.yaml");
        java.nio.file.Files.writeString(
                nc2, "val: " + data.getParent().resolve("images/val2017") + "\nnc: 2\nnames: [a, b]\n");
        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err2, true, StandardCharsets.UTF_8));
        try {
            assertEquals(1, Main.run("val", "--weights", model.toString(), "--data", nc2.toString(), "--img", "320"));
        } finally {
            System.setErr(oldErr);
        }
        assertTrue(
                err2.toString(StandardCharsets.UTF_8).contains("has nc 2 but the model has 80 classes"),
                err2.toString(StandardCharsets.UTF_8));
        assertEquals(
                0,
                Main.run(
                        "calibrate",
                        "--weights",
                        model.toString(),
                        "--data",
                        data.toString(),
                        "--img",
                        "320",
                        "--batch",
                        "8"));
        ThresholdTable table;
        try (var f = SafeTensors.open(model)) {
            table = ModelArtifact.fromMetadata(f.metadata(), model.toString()).thresholds();
        }
        assertEquals(47, table.images());
        assertTrue(table.entries().get(0).gflops() < table.entries().get(10).gflops());
        Path project = dir.resolve("runs");
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(
                    0,
                    Main.run(
                            "val",
                            "--weights",
                            model.toString(),
                            "--data",
                            data.toString(),
                            "--img",
                            "320",
                            "--batch",
                            "8",
                            "--easy-ratio",
                            "0.5",
                            "--json",
                            "--project",
                            project.toString()));
        } finally {
            System.setOut(oldOut);
        }
        JsonNode metrics = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        // the median of 47 scores sends 24 images (>= the median) to route 1
        assertEquals(24.0 / 47, metrics.get("route1_share").asDouble(), 1e-9);
        assertEquals(table.entries().get(5).threshold(), metrics.get("dy_thres").asDouble(), 1e-6);
        // --sweep uses the calibrated thresholds
        JsonNode sweep = ValCommandTest.runJson(
                "val",
                "--weights",
                model.toString(),
                "--data",
                data.toString(),
                "--img",
                "320",
                "--batch",
                "8",
                "--sweep",
                "--json",
                "--project",
                project.toString());
        JsonNode rows =
                new ObjectMapper().readTree(project.resolve("exp2/sweep.json").toFile());
        assertEquals(11, rows.size());
        for (int i = 0; i < 11; i++)
            assertEquals(
                    table.entries().get(i).threshold(),
                    rows.get(i).get("threshold").asDouble(),
                    1e-9);
        assertTrue(sweep.has("stats"));
        // a latency budget: 10 ms route 1, 20 ms route 2, 13 ms allowed -> the 70/30 setting
        try (Detector d = Detector.builder()
                .weights(model)
                .imageSize(320)
                .latencyBudget(13, 10, 20)
                .build()) {
            assertEquals(table.entries().get(3).threshold(), d.routerThreshold(), 1e-6);
        }
        try (Detector d = Detector.builder()
                .weights(model)
                .imageSize(320)
                .gflopsBudget(table.entries().get(4).gflops())
                .build()) {
            assertEquals(table.entries().get(4).threshold(), d.routerThreshold(), 1e-6);
        }
    }
}
