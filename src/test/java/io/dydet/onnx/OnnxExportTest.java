package io.dydet.onnx;

import static io.dydet.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.Route;
import io.dydet.model.RoutedOutput;
import io.dydet.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported graphs run in ONNX Runtime against the original's golden outputs, with the golden README's
 * tolerances (router score 1e-6, decoded obj/cls 1e-4, decoded xywh 0.05 px; 0.1 px for X).
 */
class OnnxExportTest {
    @TempDir
    Path dir;

    static List<String> models() {
        return Golden.MODELS;
    }

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @ParameterizedTest
    @MethodSource("models")
    void exportedGraphsReproduceTheGoldenOutputsOfBothRoutes(String name) {
        double xywh = name.startsWith("dy-yolov7x") ? 0.1 : 0.05;
        try (Golden g = Golden.open(name);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel fused = g.model(m.newSubManager()).fuse(m.newSubManager());
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.of(fused, 2)) {
                for (String img : List.of("random", "demo", "grace_hopper")) {
                    try (NDManager pass = m.newSubManager()) {
                        NDArray x = g.input(pass, img);
                        float score = ort.easiness(x)[0];
                        assertClose(
                                img + ".score",
                                g.tensor(pass, img + ".score"),
                                pass.create(new float[] {score}).reshape(1, 1),
                                1e-6);
                        for (Route r : Route.values()) {
                            String key = img + "." + (r == Route.ROUTE1 ? "easy" : "hard");
                            NDArray got = ort.decode(x, r);
                            NDArray want = g.tensor(pass, key + ".decoded");
                            assertEquals(want.getShape(), got.getShape(), key);
                            assertClose(
                                    key + ".decoded xywh (onnxruntime)",
                                    want.get(new NDIndex("..., 0:4")),
                                    got.get(new NDIndex("..., 0:4")),
                                    xywh);
                            assertClose(
                                    key + ".decoded obj/cls (onnxruntime)",
                                    want.get(new NDIndex("..., 4:")),
                                    got.get(new NDIndex("..., 4:")),
                                    1e-4);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aMixedBatchRoutesEachImageAsTheTorchModelDoes() {
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel fused = g.model(m.newSubManager()).fuse(m.newSubManager());
            NDArray one = g.input(m, "demo");
            NDArray batch = one.concat(one.flip(3)).concat(one.mul(0.5f)); // three different images of one size
            float[] thresholds = {0f, 1f, 0.5f};
            assertTrue(
                    OnnxExport.export(fused).layout().route2Inputs().contains(OnnxExport.IMAGES),
                    "keep_input: route 2 reads the image again");
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.of(fused, 2)) {
                RoutedOutput a = ort.forward(batch, thresholds);
                RoutedOutput b = fused.forward(batch, thresholds);
                assertEquals(b.routes(), a.routes());
                assertEquals(List.of(Route.ROUTE1, Route.ROUTE2), a.routes().subList(0, 2));
                for (int i = 0; i < 3; i++) assertEquals(b.scores()[i], a.scores()[i], 1e-6f);
                assertClose(
                        "mixed batch xywh",
                        b.decoded().get(new NDIndex("..., 0:4")),
                        a.decoded().get(new NDIndex("..., 0:4")),
                        0.05);
                assertClose(
                        "mixed batch obj/cls",
                        b.decoded().get(new NDIndex("..., 4:")),
                        a.decoded().get(new NDIndex("..., 4:")),
                        1e-4);
            }
        }
    }

    @Test
    void exportFolderDescribesThePiecesAndEachLoadsWithoutCustomOperators() throws Exception {
        try (Golden g = Golden.open("dy-yolov7-w6-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel fused = g.model(m.newSubManager()).fuse(m.newSubManager());
            ModelArtifact artifact = new ModelArtifact(
                    "dy-yolov7-w6-w025",
                    g.spec().toYaml(),
                    io.dydet.model.ClassNames.defaults(80),
                    1280,
                    fused.network().strides(),
                    null,
                    Map.of());
            ExportFiles.write(dir, fused, artifact, 1280, 0.5f);
            JsonNode json = new ObjectMapper()
                    .readTree(dir.resolve(ExportFiles.DESCRIPTION).toFile());
            assertEquals("dydet-onnx/1", json.get("format").asText());
            assertEquals(17, json.get("opset").asInt());
            assertEquals(List.of(8, 16, 32, 64), new ObjectMapper().convertValue(json.get("strides"), List.class));
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            for (String piece : List.of("route1_stem", "route1_head", "route2")) {
                JsonNode p = json.at("/graphs/" + piece);
                Path file = dir.resolve(p.get("file").asText());
                assertTrue(Files.size(file) > 1000, piece);
                try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                        OrtSession s = env.createSession(file.toString(), o)) {
                    List<String> declared = new java.util.ArrayList<>();
                    for (JsonNode in : p.get("inputs"))
                        declared.add(in.get("name").asText());
                    assertEquals(declared, List.copyOf(s.getInputNames()), piece + " inputs");
                    List<String> outs = new java.util.ArrayList<>();
                    for (JsonNode out : p.get("outputs"))
                        outs.add(out.get("name").asText());
                    assertEquals(
                            new java.util.TreeSet<>(outs),
                            new java.util.TreeSet<>(s.getOutputNames()),
                            piece + " outputs");
                }
            }
            assertTrue(json.at("/graphs/route1_stem/outputs/0/name").asText().equals("score"));
            // W6 has no keep_input: its second backbone starts from first-backbone features only
            for (JsonNode in : json.at("/graphs/route2/inputs"))
                assertTrue(in.get("name").asText().startsWith("b1_"), in.toString());
        }
    }
}
