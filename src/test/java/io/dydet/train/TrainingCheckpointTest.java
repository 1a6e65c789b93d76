package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training state refuses to resume from non-finite weights; the router's bookkeeping may hold anything. */
class TrainingCheckpointTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    private static final TrainingCheckpoint.Progress PROGRESS =
            new TrainingCheckpoint.Progress(1, 2, 4, 3, 0.5, 0, 4, Trainer.STEP1);

    @Test
    void nonFiniteWeightsInTheStateAreRefusedNamingSectionAndTensor() throws Exception {
        Path file = dir.resolve(TrainingCheckpoint.FILE);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, Map<String, NDArray>> sections = new LinkedHashMap<>();
            sections.put("model", Map.of("conv.weight", m.create(new float[] {1, 2, 3})));
            sections.put("ema", Map.of("conv.weight", m.create(new float[] {1, Float.NaN, 3})));
            sections.put("router", Map.of("gaps", m.create(new double[] {Double.NaN})));
            TrainingCheckpoint.write(file, sections, PROGRESS, Map.of());
            WeightsException e = assertThrows(WeightsException.class, () -> TrainingCheckpoint.read(file, m));
            assertEquals(
                    "weights " + file
                            + ": tensor ema/conv.weight holds 1 NaN value: the file is damaged or was trained into divergence",
                    e.getMessage());

            sections.put("ema", Map.of("conv.weight", m.create(new float[] {1, 2, 3})));
            TrainingCheckpoint.write(file, sections, PROGRESS, Map.of());
            TrainingCheckpoint.Contents c = TrainingCheckpoint.read(file, m);
            assertTrue(Double.isNaN(c.section("router").get("gaps").toDoubleArray()[0]), "bookkeeping is not checked");
        }
    }
}
