package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.testing.Golden;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Router training at batch 4 equals four batch-1 calls (the original's only mode): the same per-image losses,
 * offsets and scores, and the same accumulated router gradients, hence the same updates.
 */
class RouterBatchTest {
    @Test
    void batchOfFourEqualsFourSingleImages() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Golden g = Golden.open("dy-yolov7-w025")) {
            DynamicDetModel model = g.model(m.newSubManager());
            Map<String, NDArray> router = Trainables.requireGradients(model, n -> n.startsWith("router."));
            Hyperparameters hyp = Hyperparameters.builtIn("finetune-dynamic").scaledForTraining(3, 80, 192);
            NDArray two = Golden.bgrToInput(g.tensor(m, "train.letterboxed_bgr_u8"));
            // four images: the two golden ones and their mirror images (targets mirrored too)
            NDArray four = NDArrays.concat(new NDList(two, two.flip(3)), 0);
            float[][] base = CascadeLossGoldenTest.rows(g.tensor(m, "train.targets"));
            List<float[]> rows = new ArrayList<>();
            for (float[] t : base) rows.add(t.clone());
            for (float[] t : base) {
                float[] f = t.clone();
                f[0] += 2;
                f[2] = 1 - f[2];
                rows.add(f);
            }
            float[][] targets = rows.toArray(float[][]::new);
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                RouterLoss single = new RouterLoss(model, hyp);
                List<RouterLoss.ImageLoss> one = new ArrayList<>();
                router.values().forEach(Engines::zeroGrad);
                for (int i = 0; i < 4; i++) {
                    final int img = i;
                    float[][] own = java.util.Arrays.stream(targets)
                            .filter(t -> (int) t[0] == img)
                            .map(t -> {
                                float[] c = t.clone();
                                c[0] = 0;
                                return c;
                            })
                            .toArray(float[][]::new);
                    RouterLoss.Result r = single.compute(model.forwardFrozen(four.get(i + ":" + (i + 1))), own, 192);
                    Engines.backward(r.total());
                    one.addAll(r.images());
                }
                Map<String, float[]> gradsOne = new LinkedHashMap<>();
                router.forEach((k, v) -> gradsOne.put(k, v.getGradient().toFloatArray()));

                router.values().forEach(Engines::zeroGrad);
                RouterLoss batched = new RouterLoss(model, hyp);
                RouterLoss.Result r4 = batched.compute(model.forwardFrozen(four), targets, 192);
                Engines.backward(r4.total());
                assertEquals(4, r4.images().size());
                for (int i = 0; i < 4; i++) {
                    RouterLoss.ImageLoss a = one.get(i), b = r4.images().get(i);
                    assertEquals(a.route1Loss(), b.route1Loss(), 1e-5 * Math.abs(a.route1Loss()), "L1 of image " + i);
                    assertEquals(a.route2Loss(), b.route2Loss(), 1e-5 * Math.abs(a.route2Loss()), "L2 of image " + i);
                    assertEquals(a.offset(), b.offset(), 1e-6, "offset at image " + i);
                    assertEquals(a.score(), b.score(), 1e-6, "score of image " + i);
                    assertEquals(
                            a.routerLoss(),
                            b.routerLoss(),
                            1e-5 * Math.abs(a.routerLoss()),
                            "router loss of image " + i);
                }
                assertTrue(one.get(0).route1Loss() != one.get(2).route1Loss(), "mirrored images are different inputs");
                for (var e : router.entrySet()) {
                    float[] want = gradsOne.get(e.getKey()),
                            got = e.getValue().getGradient().toFloatArray();
                    double max = 0, diff = 0;
                    for (int i = 0; i < want.length; i++) {
                        max = Math.max(max, Math.abs(want[i]));
                        diff = Math.max(diff, Math.abs(want[i] - got[i]));
                    }
                    assertTrue(max > 0, e.getKey() + " has no gradient");
                    assertTrue(
                            diff <= 1e-4 * max,
                            e.getKey() + ": batch 4 vs 4 x batch 1 differ by " + diff + " (max " + max + ")");
                }
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
    }
}
