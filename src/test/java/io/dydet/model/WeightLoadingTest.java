package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.testing.Damage;
import io.dydet.testing.Golden;
import io.dydet.train.WeightTransfer;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.WeightsException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Strict loading: every missing, unexpected or mis-shaped key is listed in one error. */
class WeightLoadingTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    private Path rewrite(java.util.function.Consumer<Map<String, NDArray>> edit, NDManager m) throws Exception {
        Map<String, NDArray> t;
        try (SafeTensorsFile f = SafeTensors.open(Golden.file("dy-yolov7-w025.safetensors"))) {
            t = new LinkedHashMap<>(f.readAll(m, false));
        }
        edit.accept(t);
        Path out = dir.resolve("edited.safetensors");
        SafeTensors.write(out, t, Map.of());
        return out;
    }

    @Test
    void missingUnexpectedAndMisShapedKeysAreAllListed() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Path p = rewrite(
                    t -> {
                        t.remove("model_h.51.rbr_dense.0.weight");
                        t.put("model_b.99.conv.weight", m.zeros(new ai.djl.ndarray.types.Shape(2, 2)));
                        t.put("model_b.0.conv.weight", m.zeros(new ai.djl.ndarray.types.Shape(16, 3, 3, 3)));
                    },
                    m);
            ModelSpec spec = Golden.open("dy-yolov7-w025").spec();
            ModelLoadException e =
                    assertThrows(ModelLoadException.class, () -> ModelFiles.load(p, spec, m.newSubManager()));
            String msg = e.getMessage();
            assertTrue(msg.contains(p.toString()), msg);
            assertTrue(msg.contains("1 missing, 1 unexpected, 1 wrong shape"), msg);
            assertTrue(msg.contains("missing     model_h.51.rbr_dense.0.weight  expected (64, 32, 3, 3)"), msg);
            assertTrue(msg.contains("unexpected  model_b.99.conv.weight  (2, 2)"), msg);
            assertTrue(msg.contains("wrong shape model_b.0.conv.weight  file (16, 3, 3, 3), model (8, 3, 3, 3)"), msg);
        }
    }

    @Test
    void stepOneCheckpointIntoStepTwoDefinitionGetsAHint() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Path p = rewrite(t -> t.keySet().removeIf(k -> k.startsWith("router.")), m);
            ModelSpec spec = Golden.open("dy-yolov7-w025").spec();
            ModelLoadException e =
                    assertThrows(ModelLoadException.class, () -> ModelFiles.load(p, spec, m.newSubManager()));
            assertTrue(
                    e.getMessage().contains("4 missing") && e.getMessage().contains("step-1 checkpoint"),
                    e.getMessage());
        }
    }

    @Test
    void truncatedFileIsAClearErrorNotACrash() throws Exception {
        Path p = dir.resolve("truncated.safetensors");
        Files.copy(Golden.file("dy-yolov7-w025.safetensors"), p);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelSpec spec = Golden.open("dy-yolov7-w025").spec();
            WeightsException e =
                    assertThrows(WeightsException.class, () -> ModelFiles.load(p, spec, m.newSubManager()));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void nanWeightsAreRefusedNamingTheTensor() throws Exception {
        Path p = Damage.safetensorsF16(
                Golden.file("dy-yolov7-w025.safetensors"),
                dir.resolve("nan.safetensors"),
                "model_h.10.conv.weight",
                Damage.F16_NAN,
                0,
                5,
                77);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            WeightsException e =
                    assertThrows(WeightsException.class, () -> ModelFiles.open(p, null, m.newSubManager()));
            assertEquals(
                    "weights " + p
                            + ": tensor model_h.10.conv.weight holds 3 NaN values: the file is damaged or was trained into divergence",
                    e.getMessage());
            // train --weights reads the file through WeightTransfer: refused the same way
            DynamicDetModel model = ModelFiles.load(Golden.file("dy-yolov7-w025.safetensors"), null, m.newSubManager());
            WeightsException t = assertThrows(WeightsException.class, () -> WeightTransfer.copyInto(model, p));
            assertTrue(t.getMessage().contains("tensor model_h.10.conv.weight holds 3 NaN values"), t.getMessage());
        }
    }

    @Test
    void infiniteWeightsAreRefusedNamingTheTensor() throws Exception {
        Path inf = Damage.safetensorsF16(
                Golden.file("dy-yolov7-w025.safetensors"),
                dir.resolve("inf.safetensors"),
                "router.layer1.bias",
                Damage.F16_INF,
                3);
        Damage.safetensorsF16(inf, inf, "router.layer1.bias", Damage.F16_NEG_INF, 4);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            WeightsException e =
                    assertThrows(WeightsException.class, () -> ModelFiles.open(inf, null, m.newSubManager()));
            assertTrue(
                    e.getMessage()
                            .startsWith("weights " + inf + ": tensor router.layer1.bias holds 2 infinite values:"),
                    e.getMessage());
            // with a NaN in a later tensor as well, the first is named and the other counted
            Path both = Damage.safetensorsF16(
                    inf, dir.resolve("both.safetensors"), "model_h.10.conv.weight", Damage.F16_NAN, 1);
            WeightsException b =
                    assertThrows(WeightsException.class, () -> ModelFiles.open(both, null, m.newSubManager()));
            assertTrue(
                    b.getMessage()
                            .contains(
                                    "tensor router.layer1.bias holds 2 infinite values (and 1 more: model_h.10.conv.weight)"),
                    b.getMessage());
        }
    }
}
