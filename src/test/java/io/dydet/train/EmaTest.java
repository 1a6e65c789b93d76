package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EMA ramp (expected values in double precision from the original's formula), counters, decay 0, save/load. */
class EmaTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engines.start(1);
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Map<String, NDArray> state(NDManager m, float[] weights, float mean, long batches) {
        Map<String, NDArray> s = new LinkedHashMap<>();
        s.put("conv.weight", m.create(weights));
        s.put("bn.running_mean", m.create(new float[] {mean}));
        s.put("bn.num_batches_tracked", m.create(batches));
        return s;
    }

    @Test
    void rampAveragesFloatsAndCopiesCounters() {
        try (NDManager m = manager.newSubManager();
                Ema ema = Ema.of(state(m, new float[] {1f, -2f}, 0.5f, 7), Device.cpu(), 0.9999, 2000, 0)) {
            double expectedW0 = 1;
            double expectedW1 = -2;
            double expectedMean = 0.5;
            for (int u = 1; u <= 5; u++) {
                float w0 = 3f * u;
                float w1 = -1f / u;
                float mean = 0.25f * u;
                double d = 0.9999 * (1 - Math.exp(-u / 2000.0));
                assertEquals(d, ema.nextDecay(), 1e-18, "d before update " + u);
                ema.update(state(m, new float[] {w0, w1}, mean, 7 + 10L * u));
                expectedW0 = d * expectedW0 + (1 - d) * w0;
                expectedW1 = d * expectedW1 + (1 - d) * w1;
                expectedMean = d * expectedMean + (1 - d) * mean;
                assertEquals(u, ema.updates());
                float[] w = ema.tensors().get("conv.weight").toFloatArray();
                assertEquals(expectedW0, w[0], 1e-6 * Math.abs(expectedW0), "w0 after " + u);
                assertEquals(expectedW1, w[1], 1e-6 * Math.abs(expectedW1), "w1 after " + u);
                assertEquals(
                        expectedMean,
                        ema.tensors().get("bn.running_mean").toFloatArray()[0],
                        1e-6,
                        "running mean after " + u);
                NDArray counter = ema.tensors().get("bn.num_batches_tracked");
                assertEquals(DataType.INT64, counter.getDataType());
                assertEquals(7 + 10L * u, counter.getLong(), "counter copied, not averaged");
            }
            // after the ramp d approaches 0.9999
            assertEquals(0.9999 * (1 - Math.exp(-6 / 2000.0)), ema.nextDecay(), 1e-18);
        }
    }

    @Test
    void decayZeroIsACopy() {
        try (NDManager m = manager.newSubManager();
                Ema ema = Ema.of(state(m, new float[] {1f, 2f}, 0f, 0), Device.cpu(), 0, 2000, 0)) {
            Map<String, NDArray> model = state(m, new float[] {0.1f, 1e-7f}, 3.3f, 4);
            ema.update(model);
            assertArrayEquals(
                    model.get("conv.weight").toFloatArray(),
                    ema.tensors().get("conv.weight").toFloatArray());
            assertArrayEquals(
                    new float[] {3.3f}, ema.tensors().get("bn.running_mean").toFloatArray());
        }
    }

    @Test
    void onlyTheNamedTensorsAreUpdated() {
        try (NDManager m = manager.newSubManager();
                Ema ema = Ema.of(state(m, new float[] {1f, 2f}, 0f, 0), Device.cpu(), 0, 2000, 0)) {
            Map<String, NDArray> model = state(m, new float[] {0.1f, 0.2f}, 3.3f, 4);
            ema.update(model, java.util.Set.of("conv.weight"));
            assertArrayEquals(
                    new float[] {0.1f, 0.2f}, ema.tensors().get("conv.weight").toFloatArray());
            assertArrayEquals(
                    new float[] {0f}, ema.tensors().get("bn.running_mean").toFloatArray(), "not named: kept");
            assertEquals(1, ema.updates());
        }
    }

    @Test
    void saveLoadResumesExactly(@TempDir Path dir) throws IOException {
        try (NDManager m = manager.newSubManager();
                Ema straight = Ema.of(state(m, new float[] {1f, 2f}, 0f, 0), Device.cpu(), 0.9999, 3, 0)) {
            for (int u = 1; u <= 2; u++) straight.update(state(m, new float[] {u, -u}, u, u));
            Path file = dir.resolve("ema.safetensors");
            straight.save(file);
            try (Ema resumed = Ema.load(file, Device.cpu())) {
                assertEquals(2, resumed.updates());
                assertEquals(0.9999, resumed.decay());
                assertEquals(3, resumed.tau());
                for (int u = 3; u <= 4; u++) {
                    straight.update(state(m, new float[] {u, -u}, u, u));
                    resumed.update(state(m, new float[] {u, -u}, u, u));
                }
                for (String k : straight.tensors().keySet()) {
                    NDArray a = straight.tensors().get(k);
                    NDArray b = resumed.tensors().get(k);
                    assertEquals(a.getDataType(), b.getDataType(), k);
                    assertTrue(a.contentEquals(b), k + " bit-exact after resume");
                }
            }
        }
    }

    @Test
    void wholeModelCopyFeedsAnEvaluationModel() {
        try (NDManager m = manager.newSubManager()) {
            Network net = Network.build(ModelSpec.builtIn("dy-yolov7").withWidth(0.25));
            DynamicDetModel model = DynamicDetModel.initialized(net, m, 3);
            try (Ema ema = Ema.of(model)) {
                assertEquals(model.stateDict().keySet(), ema.tensors().keySet());
                NDArray w = model.stateDict().get("model_b.0.conv.weight");
                assertNotSame(w, ema.tensors().get("model_b.0.conv.weight"));
                float before = ema.tensors().get("model_b.0.conv.weight").getFloat(0, 0, 0, 0);
                w.addi(1f); // a training step
                assertEquals(
                        before, ema.tensors().get("model_b.0.conv.weight").getFloat(0, 0, 0, 0), "EMA holds copies");
                ema.update(model);
                double d = 0.9999 * (1 - Math.exp(-1 / 2000.0));
                assertEquals(
                        d * before + (1 - d) * (before + 1),
                        ema.tensors().get("model_b.0.conv.weight").getFloat(0, 0, 0, 0),
                        1e-6);
                try (NDManager evalManager = m.newSubManager()) {
                    DynamicDetModel eval = DynamicDetModel.fromStateDict(net, ema.tensors(), evalManager, "ema");
                    assertEquals(ema.tensors().keySet(), eval.stateDict().keySet());
                }
                assertThrows(IllegalArgumentException.class, () -> ema.update(Map.of()));
            }
        }
    }
}
