package io.dydet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.engine.Layouts;
import io.dydet.engine.NativeOps;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The libtorch kernels training uses in place of composed DJL operators: same values and gradients. */
class TrainingKernelsTest {
    @Test
    void trainingSiluIsOneNativeOperatorWithItsGradient() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                NDArray x = m.create(new float[] {-6f, -1.5f, -0.2f, 0f, 0.7f, 2f, 9f})
                        .duplicate();
                x.setRequiresGradient(true);
                assertNotNull(NativeOps.silu(x), "libtorch's silu operator must be found in the bundled engine");
                NDArray y = Ops.silu(x, Mode.TRAIN);
                Engines.backward(y.sum());
                float[] xs = x.toFloatArray(),
                        ys = y.toFloatArray(),
                        dx = x.getGradient().toFloatArray();
                for (int i = 0; i < xs.length; i++) {
                    double s = 1 / (1 + Math.exp(-xs[i]));
                    assertEquals(xs[i] * s, ys[i], 1e-6, "silu(" + xs[i] + ")");
                    assertEquals(s * (1 + xs[i] * (1 - s)), dx[i], 1e-6, "silu'(" + xs[i] + ")");
                }
                assertEquals(-6f, x.getFloat(0), "training SiLU must not write into its input");
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
    }

    /**
     * Convolution outputs can come back channels-last; libtorch's channels-last statistics accumulate in float32 (max
     * error 1.2e-4 on this input when measured), the contiguous ones in float64 (1.5e-6). The bound sits between.
     */
    @Test
    void batchStatisticsOfChannelsLastInputKeepFloat64Accuracy() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engines.seed(1);
            int c = 16;
            NDArray x = m.randomNormal(new Shape(8, c, 160, 160))
                    .mul(0.3f)
                    .add(m.randomNormal(new Shape(1, c, 1, 1)).mul(3f));
            NDArray channelsLast = Layouts.channelsLast(x);
            Map<String, NDArray> bn = new HashMap<>();
            bn.put("weight", m.randomUniform(0.5f, 1.5f, new Shape(c)));
            bn.put("bias", m.randomNormal(new Shape(c)));
            bn.put("running_mean", m.zeros(new Shape(c)));
            bn.put("running_var", m.ones(new Shape(c)));
            NDArray y = Ops.batchNormTrain(channelsLast, bn::get);

            NDArray x64 = x.toType(DataType.FLOAT64, true);
            NDArray perChannel = x64.transpose(1, 0, 2, 3).reshape(c, -1);
            NDArray mean = perChannel.mean(new int[] {1});
            NDArray var = perChannel.sub(mean.reshape(c, 1)).square().mean(new int[] {1});
            NDArray expected = x64.sub(mean.reshape(1, c, 1, 1))
                    .div(var.add(Ops.BN_EPS).sqrt().reshape(1, c, 1, 1))
                    .mul(bn.get("weight").toType(DataType.FLOAT64, true).reshape(1, c, 1, 1))
                    .add(bn.get("bias").toType(DataType.FLOAT64, true).reshape(1, c, 1, 1));
            double err =
                    y.toType(DataType.FLOAT64, true).sub(expected).abs().max().getDouble();
            assertTrue(err < 1e-5, "max |error| " + err);
            // running statistics: momentum 0.03 towards the batch mean and the unbiased batch variance
            long n = 8L * 160 * 160;
            double[] want = mean.mul(Ops.BN_MOMENTUM_TORCH).toDoubleArray();
            float[] got = bn.get("running_mean").toFloatArray();
            for (int i = 0; i < c; i++) assertEquals(want[i], got[i], 1e-6, "running_mean " + i);
            double[] wantVar = var.mul((double) n / (n - 1))
                    .mul(Ops.BN_MOMENTUM_TORCH)
                    .add(1 - Ops.BN_MOMENTUM_TORCH)
                    .toDoubleArray();
            float[] gotVar = bn.get("running_var").toFloatArray();
            for (int i = 0; i < c; i++) assertEquals(wantVar[i], gotVar[i], 1e-5 * wantVar[i], "running_var " + i);
        }
    }
}
