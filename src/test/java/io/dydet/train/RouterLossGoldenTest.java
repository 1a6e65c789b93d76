package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.TrainOutput;
import io.dydet.testing.FreedBuffers;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Step-2 router loss against the original (golden step2.call0/1): a fresh criterion, two calls (demo, then
 * grace_hopper, each a batch of 1), router gradients zeroed before each. Losses within 1e-5 relative, router
 * gradients within 1e-3 of max; call 0's gradient is zero.
 */
class RouterLossGoldenTest {
    @Test
    void twoCallsOnAFreshCriterionEqualTheOriginal() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.open("dy-yolov7-w025");
                SafeTensorsFile grads = SafeTensors.open(Golden.file("dy-yolov7-w025.grads.safetensors"))) {
            DynamicDetModel model = g.model(m.newSubManager());
            Map<String, NDArray> router = Trainables.requireGradients(model, n -> n.startsWith("router."));
            assertEquals(4, router.size());
            Hyperparameters hyp = Hyperparameters.builtIn("finetune-dynamic").scaledForTraining(3, 80, 192);
            RouterLoss criterion = new RouterLoss(model, hyp);
            NDArray batch = g.tensor(m, "train.letterboxed_bgr_u8");
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                for (int call = 0; call < 2; call++) {
                    String k = "step2.call" + call + ".";
                    int image = (int) grads.read(m, k + "input_image_index").getLong(0);
                    NDArray x = Golden.bgrToInput(batch.get(image + ":" + (image + 1)));
                    float[][] targets = CascadeLossGoldenTest.rows(grads.read(m, k + "targets"));
                    router.values().forEach(Engines::zeroGrad);
                    TrainOutput out = model.forwardFrozen(x);
                    assertEquals(value(grads, m, k + "score"), out.score().getFloat(0, 0), 1e-6, k + "score");
                    RouterLoss.Result r = criterion.compute(out, targets, 192);
                    FreedBuffers.reuse(); // a collection between forward and backward must not change the gradients
                    Engines.backward(r.total());
                    RouterLoss.ImageLoss il = r.images().get(0);
                    float l1 = value(grads, m, k + "internal.lbox")
                            + value(grads, m, k + "internal.lobj")
                            + value(grads, m, k + "internal.lcls");
                    float l2 = value(grads, m, k + "internal.lbox_2")
                            + value(grads, m, k + "internal.lobj_2")
                            + value(grads, m, k + "internal.lcls_2");
                    assertRel(l1, il.route1Loss(), 1e-5, k + "L1");
                    assertRel(l2, il.route2Loss(), 1e-5, k + "L2");
                    assertRel(value(grads, m, k + "internal.current_diff"), il.gap(), 1e-4, k + "current_diff");
                    assertRel(
                            value(grads, m, k + "internal.loss"),
                            (float) (il.route1Loss() - il.offset() / 2),
                            1e-5,
                            k + "adjusted loss");
                    assertRel(
                            value(grads, m, k + "internal.loss_2"),
                            (float) (il.route2Loss() + il.offset() / 2),
                            1e-5,
                            k + "adjusted loss_2");
                    assertRel(
                            value(grads, m, k + "internal.adaptive_loss"), il.routerLoss(), 1e-5, k + "adaptive loss");
                    assertRel(value(grads, m, k + "loss"), r.total().getFloat(0), 1e-5, k + "loss");
                    for (String p : router.keySet()) {
                        float[] want = grads.read(m, k + "grad." + p)
                                .toType(DataType.FLOAT32, false)
                                .toFloatArray();
                        float[] got = router.get(p).getGradient().toFloatArray();
                        double max = 0, diff = 0;
                        for (int i = 0; i < want.length; i++) {
                            max = Math.max(max, Math.abs(want[i]));
                            diff = Math.max(diff, Math.abs(want[i] - got[i]));
                        }
                        if (call == 0) {
                            assertTrue(
                                    diff < 1e-9 && max == 0,
                                    k + p + ": call 0's gradient must be zero, max |got - want| " + diff);
                        } else {
                            assertTrue(max > 0, k + p + " golden gradient is zero");
                            assertTrue(diff <= 1e-3 * max, k + p + ": max |got - want| " + diff + " > 1e-3 of " + max);
                        }
                    }
                }
                assertEquals(2, criterion.imagesSeen());
                assertEquals(0.0296244, criterion.offset(), 1e-6);
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
    }

    static float value(SafeTensorsFile f, NDManager m, String key) throws Exception {
        return f.read(m, key).toType(DataType.FLOAT32, false).toFloatArray()[0];
    }

    static void assertRel(float want, float got, double rel, String what) {
        assertEquals(want, got, rel * Math.max(Math.abs(want), 1e-6), what);
    }
}
