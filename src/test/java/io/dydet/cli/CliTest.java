package io.dydet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CLI end to end: arguments in, stdout/stderr and exit code out. */
class CliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7, 640, 104.5, 181.7", "dy-yolov7x, 640, 189.7, 307.6", "dy-yolov7-w6, 1280, 359.7, 601.7"})
    void infoJsonEqualsTheReferenceFlops(String model, int img, double route1, double route2) throws Exception {
        Result r = run("info", "--model", model, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(model, j.get("model").asText());
        assertEquals(img, j.get("img").asInt());
        assertEquals(route1, j.at("/gflops/route1").asDouble(), 0.05);
        assertEquals(route2, j.at("/gflops/route2").asDouble(), 0.05);
        JsonNode ref = new ObjectMapper()
                .readTree(Golden.file("flops.json").toFile())
                .get(model)
                .get("params");
        assertEquals(ref.get("model_b").asLong(), j.at("/params/b1").asLong());
        assertEquals(ref.get("model_b2").asLong(), j.at("/params/b2").asLong());
        assertEquals(ref.get("model_h").asLong(), j.at("/params/head1").asLong());
        assertEquals(ref.get("model_h2").asLong(), j.at("/params/head2").asLong());
        assertEquals(ref.get("router").asLong(), j.at("/params/router").asLong());
    }

    @Test
    void infoTableNamesPartsAndRoutes() {
        Result r = run("info", "--model", "dy-yolov7", "--width", "0.25", "--img", "320");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.out().contains("backbone 2 (incl. CBLinear)")
                        && r.out().contains("1 easy")
                        && r.out().contains("2 hard"),
                r.out());
    }

    @Test
    void infoChecksWeightsAgainstTheDefinition() {
        Result ok = run(
                "info",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--weights",
                Golden.file("dy-yolov7-w025.safetensors").toString(),
                "--json");
        assertEquals(0, ok.code(), ok.err());
        Result bad = run(
                "info",
                "--model",
                "dy-yolov7x",
                "--width",
                "0.25",
                "--weights",
                Golden.file("dy-yolov7-w025.safetensors").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("does not fit model") && bad.err().contains("wrong shape"), bad.err());
        // a bare state dict is recognised among the built-in definitions by its key names and shapes
        Result bare = run(
                "info", "--weights", Golden.file("dy-yolov7-w025.safetensors").toString(), "--json");
        assertEquals(0, bare.code(), bare.err());
        assertTrue(bare.out().contains("\"route1\""), bare.out());
    }

    @Test
    void benchmarkJsonHasBothRoutes() throws Exception {
        Result r = run(
                "benchmark",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--img",
                "64",
                "--warmup",
                "1",
                "--runs",
                "3",
                "--threads",
                "2",
                "--fused",
                "--batch",
                "2",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(64, j.get("img").asInt());
        assertEquals(2, j.get("batch").asInt());
        assertEquals(2, j.get("threads").asInt());
        assertTrue(j.get("fused").asBoolean());
        for (String route : new String[] {"route1", "route2"}) {
            JsonNode t = j.get(route);
            assertTrue(
                    t.get("min_s").asDouble() > 0
                            && t.get("min_s").asDouble() <= t.get("median_s").asDouble()
                            && t.get("median_s").asDouble() <= t.get("max_s").asDouble(),
                    route + ": " + t);
        }
    }

    @Test
    void doctorNamesTheModelsConvolutionsAndWhetherTheSuiteHoldsThem() {
        // the built-in suite holds width 0.25 at 128 px (the machine's verdict is reused); 1x1 and 3x3, both strides
        Result r = run("doctor", "--model", "dy-yolov7", "--width", "0.25", "--img", "128");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.out().contains("checked: dy-yolov7")
                        && r.out().contains("at 128 px")
                        && r.out().contains("all in the built-in suite"),
                r.out());
        Result bad = run("doctor", "--model", "dy-yolov7", "--img", "100");
        assertEquals(1, bad.code());
        assertTrue(
                bad.err().contains("--img 100 must be a positive multiple of the model's largest stride 32"),
                bad.err());
    }

    @Test
    void usageErrorsExitWithTwoAndNameTheProblem() {
        Result r = run("info", "--model", "dy-yolov9");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown model 'dy-yolov9'"), r.err());
        Result u = run("info", "--bogus");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("--bogus"), u.err());
        Result img = run("info", "--model", "dy-yolov7", "--img", "100");
        assertEquals(1, img.code());
        assertTrue(img.err().contains("multiple of the model's largest stride 32"), img.err());
    }

    /**
     * Issue 20: detect took --img 0, --img -5 and --classes 999; they are refused as the other commands and serve
     * refuse them, before any image is read.
     */
    @Test
    void detectRefusesImageSizesAndClassesTheModelCannotTake(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String[] common = {
            "detect",
            "--weights",
            Golden.file("dy-yolov7-w025.safetensors").toString(),
            "--model",
            "dy-yolov7",
            "--width",
            "0.25",
            "--source",
            Golden.file("images/demo.png").toString(),
            "--project",
            dir.toString(),
            "--threads",
            "2"
        };
        for (String img : new String[] {"0", "-5", "100"}) {
            Result r = run(concat(common, "--img", img));
            assertEquals(1, r.code(), img + ": " + r.err());
            assertTrue(
                    r.err().contains("--img " + img + " must be a positive multiple of the model's largest stride 32"),
                    r.err());
        }
        Result c = run(concat(common, "--img", "192", "--classes", "0", "999"));
        assertEquals(1, c.code(), c.err());
        assertTrue(
                c.err().contains("classes: id 999 is outside 0..79"),
                c.err()); // serve's message (ServeIntegrationTest)
        assertTrue(!java.nio.file.Files.exists(dir.resolve("exp")), "no run folder for refused options");
        Result ok = run(concat(common, "--img", "192", "--classes", "0", "79"));
        assertEquals(0, ok.code(), ok.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void benchmarkRunsOnOnnxRuntimeAndBackendNamesAreChecked() throws Exception {
        Result r = run(
                "benchmark",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--img",
                "64",
                "--warmup",
                "1",
                "--runs",
                "3",
                "--threads",
                "2",
                "--fused",
                "--json",
                "--backend",
                "onnxruntime");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("onnxruntime", j.get("backend").asText());
        assertTrue(j.at("/route2/median_s").asDouble() > 0);
        Result unfused =
                run("benchmark", "--model", "dy-yolov7", "--width", "0.25", "--img", "64", "--backend", "onnxruntime");
        assertEquals(1, unfused.code());
        assertTrue(unfused.err().contains("--fused"), unfused.err());
        Result bad = run(
                "benchmark",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--img",
                "64",
                "--fused",
                "--backend",
                "tensorrt");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown backend 'tensorrt'"), bad.err());
    }

    @Test
    void exportWritesThreeGraphsAndTheirDescription(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Result r = run(
                "export",
                "--weights",
                Golden.file("dy-yolov7-w025.safetensors").toString(),
                "--cfg",
                Golden.file("dy-yolov7-w025.yaml").toString(),
                "--img",
                "320",
                "-o",
                dir.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[] {"route1_stem.onnx", "route1_head.onnx", "route2.onnx", "model.json"})
            assertTrue(java.nio.file.Files.size(dir.resolve(f)) > 1000, f);
        JsonNode j = new ObjectMapper().readTree(dir.resolve("model.json").toFile());
        assertEquals(320, j.get("image_size").asInt());
        assertEquals(0.5, j.get("router_threshold").asDouble(), 1e-9);
        assertEquals(85, j.at("/graphs/route1_head/outputs/0/shape/2").asInt());
        Result missing = run(
                "export",
                "--weights",
                dir.resolve("nope.safetensors").toString(),
                "-o",
                dir.resolve("x").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());
    }

    @Test
    void bf16RunsOnTorchAndItsDriftIsReported(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Result r = run(
                "benchmark",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--img",
                "64",
                "--warmup",
                "1",
                "--runs",
                "3",
                "--threads",
                "2",
                "--fused",
                "--json",
                "--precision",
                "bf16");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("bf16", j.get("precision").asText());
        assertTrue(j.at("/route1/median_s").asDouble() > 0);
        Result unfused =
                run("benchmark", "--model", "dy-yolov7", "--width", "0.25", "--img", "64", "--precision", "bf16");
        assertEquals(1, unfused.code());
        assertTrue(unfused.err().contains("--fused"), unfused.err());
        String weights = Golden.file("dy-yolov7-w025.safetensors").toString(),
                cfg = Golden.file("dy-yolov7-w025.yaml").toString();
        Result ort = run(
                "detect",
                "--weights",
                weights,
                "--cfg",
                cfg,
                "--source",
                Golden.file("images/demo.png").toString(),
                "--backend",
                "onnxruntime",
                "--precision",
                "bf16",
                "--project",
                dir.toString());
        assertEquals(1, ort.code());
        assertTrue(ort.err().contains("fp32 only") && ort.err().contains("--backend torch"), ort.err());
        java.nio.file.Path out = dir.resolve("drift.json");
        Result drift = run(
                "precision-drift",
                "--weights",
                weights,
                "--cfg",
                cfg,
                "--source",
                Golden.file("images").toString(),
                "--img",
                "320",
                "--threads",
                "2",
                "--out",
                out.toString());
        assertEquals(0, drift.code(), drift.err());
        assertTrue(drift.out().contains("bf16 against fp32 on 2 images at 320 px"), drift.out());
        JsonNode d = new ObjectMapper().readTree(out.toFile());
        assertEquals(2, d.at("/detections/images").asInt());
        assertEquals(2, d.get("outputs").size());
        for (JsonNode o : d.get("outputs")) {
            // a random golden network: visible but bounded drift (see BFloat16Test)
            assertTrue(
                    o.get("max_confidence").asDouble() > 0
                            && o.get("max_confidence").asDouble() < 0.3,
                    o.toString());
            assertTrue(o.get("max_score").asDouble() < 2e-3, o.toString());
        }
        assertTrue(d.at("/detections/reference_detections").asInt() > 0, d.toString());
        assertTrue(d.at("/detections/max_box_px_kept").asDouble() <= 1.0, d.toString());
    }
}
