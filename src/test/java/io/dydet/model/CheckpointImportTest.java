package io.dydet.model;

import static io.dydet.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.cli.Main;
import io.dydet.engine.Engines;
import io.dydet.testing.Damage;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.TorchCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Original .pt checkpoints: forward parity straight from the .pt, recognition, and the import round trip. */
class CheckpointImportTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void forwardParityStraightFromTheCheckpoint() throws Exception {
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = ModelFiles.load(Golden.file("dy-yolov7-w025.ckpt.pt"), null, m.newSubManager());
            for (String img : List.of("demo", "grace_hopper")) {
                NDArray x = g.input(m, img);
                assertClose(img + ".score", g.tensor(m, img + ".score"), model.routerScores(x), 1e-6);
                for (Route r : Route.values()) {
                    String key = img + "." + (r == Route.ROUTE1 ? "easy" : "hard");
                    HeadOutput out = model.forward(x, r);
                    for (int l = 0; l < 3; l++)
                        assertClose(
                                key + ".raw." + l,
                                g.tensor(m, key + ".raw." + l),
                                out.raw().get(l),
                                1e-3);
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
            SafeTensors.write(
                    p,
                    Map.of(
                            "model_b.1.conv.weight",
                            m.zeros(new ai.djl.ndarray.types.Shape(7, 3, 3, 3)),
                            "model_h.9.m.0.weight",
                            m.zeros(new ai.djl.ndarray.types.Shape(255, 8, 1, 1))),
                    Map.of());
        }
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelFiles.recognize(p));
        assertTrue(
                e.getMessage().contains("dy-yolov7, dy-yolov7-step1, dy-yolov7x")
                        && e.getMessage().contains("--cfg"),
                e.getMessage());
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
        List<String> cmd = new ArrayList<>(List.of(
                javaBin,
                "-Ddydet.lean=" + System.getProperty("dydet.lean", "true"),
                "-Ddydet.noNativeOps=" + System.getProperty("dydet.noNativeOps", "false"),
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-cp",
                System.getProperty("java.class.path"),
                "io.dydet.testing.PrintOutputs",
                out.toString()));
        Path err = dir.resolve("child.err");
        Process proc = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String text = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, proc.waitFor(), text + Files.readString(err));
        String[] lines = text.strip().split("\\R");
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
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
        assertTrue(
                info.contains("\"model_file\"") && info.contains("\"toothbrush\"") && info.contains("checkpoint.epoch"),
                info);
        assertTrue(!new File(dir.toFile(), "w025.safetensors.part").exists());
    }

    /** dydet's exit code and what it wrote to stderr. */
    private static String[] importing(Path in, Path out) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run("import", in.toString(), "-o", out.toString());
            return new String[] {Integer.toString(code), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void importRefusesACheckpointWhoseEntryFailsItsCrc() throws Exception {
        Path damaged = Damage.zipEntryFlip(
                Golden.file("dy-yolov7-w025.ckpt.pt"), dir.resolve("model.pt"), "dy-yolov7-w025.ckpt/data/3", 1);
        Path out = dir.resolve("damaged.safetensors");
        String[] r = importing(damaged, out);
        assertEquals("1", r[0], r[1]);
        assertTrue(
                r[1].contains(damaged + ": entry dy-yolov7-w025.ckpt/data/3 fails its CRC-32 check (stored 0x")
                        && r[1].contains("): the file is damaged"),
                r[1]);
        assertFalse(Files.exists(out));
        // the file it was copied from imports
        Path good = dir.resolve("good.safetensors");
        String[] ok = importing(Golden.file("dy-yolov7-w025.ckpt.pt"), good);
        assertEquals("0", ok[0], ok[1]);
        assertTrue(Files.size(good) > 0);
    }

    @Test
    void importRefusesNonFiniteWeightsNamingTheTensor() throws Exception {
        Path nan = Damage.safetensorsF16(
                Golden.file("dy-yolov7-w025.safetensors"),
                dir.resolve("nan.safetensors"),
                "model_h.10.conv.weight",
                Damage.F16_NAN,
                0,
                5,
                77);
        String[] r = importing(nan, dir.resolve("out1.safetensors"));
        assertEquals("1", r[0], r[1]);
        assertTrue(
                r[1].contains(
                        "weights " + nan
                                + ": tensor model_h.10.conv.weight holds 3 NaN values: the file is damaged or was trained into divergence"),
                r[1]);
        assertFalse(Files.exists(dir.resolve("out1.safetensors")));

        // a .pt whose CRCs match its infinite value (as a diverged run would save it): past the CRC check, refused for
        // the value
        Path inf = Damage.zipEntry(
                Golden.file("dy-yolov7-w025.ckpt.pt"),
                dir.resolve("inf.pt"),
                "dy-yolov7-w025.ckpt/data/0",
                6,
                new byte[] {0x00, 0x7c},
                true);
        String[] ri = importing(inf, dir.resolve("out2.safetensors"));
        assertEquals("1", ri[0], ri[1]);
        Matcher m = Pattern.compile(
                        "weights " + Pattern.quote(inf.toString()) + ": tensor (\\S+) holds 1 infinite value")
                .matcher(ri[1]);
        assertTrue(m.find(), ri[1]);
        try (TorchCheckpoint c = TorchCheckpoint.open(inf);
                NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(
                    1L,
                    c.stateDict(nd).get(m.group(1)).isInfinite().countNonzero().getLong(),
                    "the named tensor holds the value");
        }
    }
}
