package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.TrainOutput;
import org.junit.jupiter.api.Test;

class MirrorInitTest {
    @Test
    void route2ComputesExactlyRoute1AfterMirroring() throws Exception {
        Engines.start(2);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Network net = Network.build(
                    ModelSpec.builtIn("dy-yolov7-step1").withWidth(0.25).withClasses(4));
            DynamicDetModel model = DynamicDetModel.initialized(net, m.newSubManager(), 3);
            NDArray x = m.randomUniform(0f, 1f, new Shape(2, 3, 64, 64));
            float before = maxGap(model.forwardTrain(x));
            int copied = MirrorInit.apply(model);
            assertTrue(copied > 300, "copied " + copied);
            float after = maxGap(model.forwardTrain(x));
            assertTrue(before > 1e-2, "independently initialised routes differ: " + before);
            assertEquals(0f, after, 1e-5f, "mirrored routes give the same raw outputs");
            assertEquals(
                    0f,
                    model.stateDict().get("model_b2.0.conv.weight").abs().max().getFloat(),
                    0f,
                    "composite connections start at zero");
        }
    }

    private static float maxGap(TrainOutput out) {
        float gap = 0;
        for (int i = 0; i < out.head1().size(); i++)
            gap = Math.max(
                    gap, out.head1().get(i).sub(out.head2().get(i)).abs().max().getFloat());
        return gap;
    }
}
