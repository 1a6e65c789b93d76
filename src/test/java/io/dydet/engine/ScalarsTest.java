package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.testing.FreedBuffers;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class ScalarsTest {
    /** d/dx of op(x, value) at x = {0.5, 1, 2, 3}, with the garbage collector freeing DJL's borrowed buffers between forward and backward. */
    private static float[] gradient(BiFunction<NDArray, Float, NDArray> op, float value) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.create(new float[] {0.5f, 1f, 2f, 3f}).duplicate();
            x.setRequiresGradient(true);
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                NDArray loss = op.apply(x, value).sum();
                FreedBuffers.reuse();
                Engines.backward(loss);
                return x.getGradient().toFloatArray();
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
    }

    @Test
    void gradientsSurviveACollectionBetweenForwardAndBackward() {
        Engines.start(2);
        assertArrayEquals(new float[] {3, 3, 3, 3}, gradient(Scalars::mul, 3f), 0f, "mul");
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, gradient(Scalars::div, 4f), 0f, "div");
        assertArrayEquals(new float[] {1f, 2f, 4f, 6f}, gradient(Scalars::pow, 2f), 1e-6f, "pow");
        assertArrayEquals(new float[] {0, 0, 1, 1}, gradient(Scalars::maximum, 1.5f), 0f, "maximum");
        assertArrayEquals(new float[] {1, 1, 0, 0}, gradient(Scalars::minimum, 1.5f), 0f, "minimum");
        // DJL's own overload under the same conditions, for the record (7.5e35 where the freed buffer was reused)
        System.out.println("ScalarsTest: DJL's mul(Number) gradient after a collection: "
                + java.util.Arrays.toString(gradient((a, v) -> a.mul(v), 3f)));
    }

    @Test
    void scalarsTakeTheArraysTypeAndDevice() {
        Engines.start(2);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray half = m.ones(new Shape(2), ai.djl.ndarray.types.DataType.FLOAT64);
            NDArray s = Scalars.of(half, 0.1f);
            org.junit.jupiter.api.Assertions.assertEquals(ai.djl.ndarray.types.DataType.FLOAT64, s.getDataType());
            org.junit.jupiter.api.Assertions.assertEquals(half.getDevice(), s.getDevice());
            org.junit.jupiter.api.Assertions.assertEquals(0, s.getShape().dimension());
        }
    }
}
