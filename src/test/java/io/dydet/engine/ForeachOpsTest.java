package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The multi-tensor kernels against the per-element formulas they replace. */
class ForeachOpsTest {
    @Test
    void fusedSgdIsNesterovSgdWithWeightDecay() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] p0 = {1f, -2f, 0.5f}, g0 = {0.1f, 0.2f, -0.3f}, q0 = {3f}, h0 = {-1f};
            NDArray p = m.create(p0), g = m.create(g0), q = m.create(q0), h = m.create(h0);
            NDArray bp = p.zerosLike(), bq = q.zerosLike();
            List<NDArray> params = List.of(p, q), grads = List.of(g, h), bufs = List.of(bp, bq);
            assertTrue(ForeachOps.fusedSgdAvailable(params), "the bundled libtorch has _fused_sgd_");
            double wd = 0.01, mom = 0.9, lr = 0.1;
            ForeachOps.fusedSgd(params, grads, bufs, wd, mom, lr, true, true);
            ForeachOps.fusedSgd(params, grads, bufs, wd, mom, lr, true, false);
            float[] want = new float[3], wantBuf = new float[3];
            for (int i = 0; i < 3; i++) {
                double x = p0[i], buf = 0;
                for (int s = 0; s < 2; s++) {
                    double d = g0[i] + wd * x;
                    buf = s == 0 ? d : mom * buf + d;
                    x -= lr * (d + mom * buf);
                }
                want[i] = (float) x;
                wantBuf[i] = (float) buf;
            }
            assertArrayEquals(want, p.toFloatArray(), 1e-6f);
            assertArrayEquals(wantBuf, bp.toFloatArray(), 1e-6f);
            assertArrayEquals(g0, g.toFloatArray(), "gradients are read, not changed");
            assertEquals(1, q.toFloatArray().length);
        }
    }

    @Test
    void lerpMovesEveryTensorTowardsItsTarget() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.create(new float[] {1f, 2f}), b = m.create(new float[] {10f});
            NDArray ta = m.create(new float[] {3f, -2f}), tb = m.create(new float[] {0f});
            assertTrue(ForeachOps.lerpAvailable(List.of(a, b)));
            ForeachOps.lerpInPlace(List.of(a, b), List.of(ta, tb), m.create(0.25f));
            assertArrayEquals(new float[] {1.5f, 1f}, a.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {7.5f}, b.toFloatArray(), 1e-6f);
            ForeachOps.lerpInPlace(List.of(a), List.of(ta), m.create(1f));
            assertArrayEquals(ta.toFloatArray(), a.toFloatArray(), "weight 1 is an exact copy");
        }
    }
}
