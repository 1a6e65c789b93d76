package io.dydet.model;

import static io.dydet.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Original .pt checkpoints: forward parity straight from the .pt, recognition, and the import round trip. */
class CheckpointImportTest {
    @TempDir Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void forwardParityStraightFromTheCheckpoint() throws Exception {
        try (Golden g = Golden.open("dy-yolov7-w025"); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = ModelFiles.load(Golden.file("dy-yolov7-w025.ckpt.pt"), null, m.newSubManager());
            for (String img : List.of("demo", "grace_hopper")) {
                NDArray x = g.input(m, img);
                assertClose(img + ".score", g.tensor(m, img + ".score"), model.routerScores(x), 1e-6);
                for (Route r : Route.values()) {
                    String key = img + "." + (r == Route.EASY ? "easy" : "hard");
                    HeadOutput out = model.forward(x, r);
                    for (int l = 0; l < 3; l++) assertClose(key + ".raw." + l, g.tensor(m, key + ".raw." + l), out.raw().get(l), 1e-3);
                }
            }
        }
    }

    @Test
    void checkpointIsRecognisedAsTheBuiltInAtQuarterWidth() throws Exception {
        ModelSpec s = ModelFiles.recognize(Golden.file("dy-yolov7-w025.ckpt.pt"));
        assertEquals(0.25, s.widthMultiple());
        assertTrue(s.source().contains("dy-yolov7-step2"), s.source());
        assertEquals(80, s.nc());
    }

    @Test
    void unknownKeySetListsTheCandidates() throws Exception {
        Path p = dir.resolve("odd.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            SafeTensors.write(p, Map.of("model_b.1.conv.weight", m.zeros(new ai.djl.ndarray.types.Shape(7, 3, 3, 3)),
                    "model_h.9.m.0.weight", m.zeros(new ai.djl.ndarray.types.Shape(255, 8, 1, 1))), Map.of());
        }
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelFiles.recognize(p));
        assertTrue(e.getMessage().contains("dy-yolov7, dy-yolov7-step1, dy-yolov7x") && e.getMessage().contains("--cfg"), e.getMessage());
    }

    @Test
    void importedModelFileLoadsInAFreshJvmWithTheSameOutputs() throws Exception {
        Path out = dir.resolve("w025.safetensors");
        assertEquals(0, Main.run("import", Golden.file("dy-yolov7-w025.ckpt.pt").toString(), "-o", out.toString()));
        // what the file says about itself
        try (var f = SafeTensors.open(out)) {
            ModelArtifact a = ModelArtifact.fromMetadata(f.metadata(), out.toString());
            assertEquals(ClassNames.COCO, a.classNames());
            assertEquals(List.of(8, 16, 32), a.strides());
            assertEquals("-1", a.provenance().get("checkpoint.epoch"));
        }
        // same outputs as the golden, computed in another JVM from the model file alone
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Ddydet.lean=" + System.getProperty("dydet.lean", "true"), "-Ddydet.noNativeOps=" + System.getProperty("dydet.noNativeOps", "false"), "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-cp", System.getProperty("java.class.path"), "io.dydet.testing.PrintOutputs", out.toString()));
        Path err = dir.resolve("child.err");
        Process proc = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String text = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, proc.waitFor(), text + java.nio.file.Files.readString(err));
        String[] lines = text.strip().split("\\R");
        try (Golden g = Golden.open("dy-yolov7-w025"); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(g.tensor(m, "demo.score").getFloat(0, 0), Float.parseFloat(lines[0]), 1e-6f);
            assertEquals(g.tensor(m, "demo.easy.decoded").sum().getFloat(), Float.parseFloat(lines[1]), 1.0f);
            assertEquals(g.tensor(m, "demo.hard.decoded").sum().getFloat(), Float.parseFloat(lines[2]), 1.0f);
        }
        // dydet info shows the stored metadata
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("info", "--weights", out.toString(), "--json"));
        } finally {
            System.setOut(old);
        }
        String info = buf.toString(StandardCharsets.UTF_8);
        assertTrue(info.contains("\"model_file\"") && info.contains("\"toothbrush\"") && info.contains("checkpoint.epoch"), info);
        assertTrue(!new File(dir.toFile(), "w025.safetensors.part").exists());
    }
}
