package io.dydet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training-mode BatchNorm's input gradient equals the analytic one (gradients flow through the batch statistics). */
class BatchNormGradTest {
    @Test
    void inputGradientFlowsThroughBatchStatistics() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engines.setGradEnabled(true);
            Engines.seed(3);
            int c = 3;
            NDArray x = m.randomNormal(new Shape(2, c, 4, 4));
            NDArray w = m.randomNormal(new Shape(2, c, 4, 4));
            Map<String, NDArray> bn = new HashMap<>();
            bn.put("weight", m.randomUniform(1, 2, new Shape(c)));
            bn.put("bias", m.randomNormal(new Shape(c)));
            bn.put("running_mean", m.zeros(new Shape(c)));
            bn.put("running_var", m.ones(new Shape(c)));
            x.setRequiresGradient(true);
            NDArray y = Ops.batchNormTrain(x, bn::get);
            Engines.backward(y.mul(w).sum());
            float[] got = x.getGradient().toFloatArray();
            // analytic: dx = gamma * invstd * (w - mean(w) - xhat * mean(w * xhat)), per channel
            float[] xs = x.toFloatArray(),
                    ws = w.toFloatArray(),
                    g = bn.get("weight").toFloatArray();
            int hw = 16, n = 2;
            for (int ch = 0; ch < c; ch++) {
                double mean = 0, var = 0;
                for (int b = 0; b < n; b++) for (int k = 0; k < hw; k++) mean += xs[(b * c + ch) * hw + k];
                mean /= n * hw;
                for (int b = 0; b < n; b++)
                    for (int k = 0; k < hw; k++) var += Math.pow(xs[(b * c + ch) * hw + k] - mean, 2);
                var /= n * hw;
                double inv = 1 / Math.sqrt(var + 1e-3);
                double mw = 0, mwx = 0;
                for (int b = 0; b < n; b++)
                    for (int k = 0; k < hw; k++) {
                        int i = (b * c + ch) * hw + k;
                        mw += ws[i];
                        mwx += ws[i] * (xs[i] - mean) * inv;
                    }
                mw /= n * hw;
                mwx /= n * hw;
                for (int b = 0; b < n; b++)
                    for (int k = 0; k < hw; k++) {
                        int i = (b * c + ch) * hw + k;
                        double want = g[ch] * inv * (ws[i] - mw - (xs[i] - mean) * inv * mwx);
                        assertEquals(want, got[i], 1e-4, "channel " + ch + " element " + i);
                    }
            }
        }
    }
}
