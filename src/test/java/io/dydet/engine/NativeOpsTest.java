package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.junit.jupiter.api.Test;

class NativeOpsTest {
    @Test
    void nativeSiluEqualsTheFormulaOnThisEngine() {
        Engines.start(2);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.randomNormal(0f, 4f, new Shape(2, 16, 9, 7), ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray want = x.mul(Activation.sigmoid(x));
            // the bundled libtorch must expose the operator; otherwise inference silently loses its fast path
            assertTrue(NativeOps.siluInPlace(x), "native in-place SiLU not found in the bundled libtorch");
            float diff = x.sub(want).abs().max().getFloat();
            assertTrue(diff < 1e-5, "max |diff| " + diff);
        }
    }
}
