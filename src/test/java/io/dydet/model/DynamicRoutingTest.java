package io.dydet.model;

import static io.dydet.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-image routing inside a batch (an extension: the original raises on batch > 1 in dynamic eval). */
class DynamicRoutingTest {
    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void batchMixingRoutesEqualsBatchOneResultsPerImage() {
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = g.model(m.newSubManager());
            // 6 images of one size: the golden random input, the golden images cropped/padded, and noise
            NDList images = new NDList();
            NDArray demo = g.input(m, "demo"); // (1,3,128,192)
            NDArray grace = g.input(m, "grace_hopper").get(":, :, 0:128, :"); // (1,3,128,192)
            images.add(demo);
            images.add(grace);
            images.add(g.input(m, "random").get(":, :, 0:128, 0:192"));
            images.add(demo.flip(3));
            images.add(m.randomUniform(0f, 1f, new Shape(1, 3, 128, 192)));
            images.add(grace.mul(0.5f));
            NDArray batch = NDArrays.concat(images, 0);
            float[] scores = model.routerScores(batch).toFloatArray();
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            float threshold = (sorted[2] + sorted[3]) / 2; // three images each way
            RoutedOutput out = model.forward(batch, threshold);
            long easy = out.routes().stream().filter(r -> r == Route.ROUTE1).count();
            assertEquals(3, easy, "routes " + out.routes() + " scores " + Arrays.toString(scores));
            for (int i = 0; i < images.size(); i++) {
                Route expected = Route.choose(scores[i], threshold);
                assertEquals(expected, out.routes().get(i), "route of image " + i);
                RoutedOutput single = model.forward(images.get(i), threshold);
                assertEquals(expected, single.routes().get(0), "batch-1 route of image " + i);
                assertClose(
                        "score " + i,
                        m.create(new float[] {single.scores()[0]}),
                        m.create(new float[] {out.scores()[i]}),
                        1e-6);
                assertClose(
                        "decoded xywh " + i,
                        single.decoded().get(":, :, 0:4"),
                        out.decoded().get(i + ":" + (i + 1) + ", :, 0:4"),
                        0.05);
                assertClose(
                        "decoded obj/cls " + i,
                        single.decoded().get(":, :, 4:"),
                        out.decoded().get(i + ":" + (i + 1) + ", :, 4:"),
                        1e-4);
                for (int l = 0; l < out.raw().size(); l++) {
                    assertClose(
                            "raw " + i + "." + l,
                            single.raw().get(l),
                            out.raw().get(l).get(i + ":" + (i + 1)),
                            1e-3);
                }
            }
        }
    }

    @Test
    void thresholdZeroIsAllRouteOneAndOneIsAllRouteTwo() {
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = g.model(m.newSubManager());
            NDArray x = g.input(m, "demo");
            RoutedOutput zero = model.forward(x, 0f);
            RoutedOutput one = model.forward(x, 1f);
            assertEquals(List.of(Route.ROUTE1), zero.routes());
            assertEquals(List.of(Route.ROUTE2), one.routes());
            assertClose("route 1 equals B1 + D1", model.forward(x, Route.ROUTE1).decoded(), zero.decoded(), 0);
            assertClose(
                    "route 2 equals B1 + dual + D2",
                    model.forward(x, Route.ROUTE2).decoded(),
                    one.decoded(),
                    0);
            // the golden boundary: threshold equal to the score is easy, the next float above is hard
            float score = (float) g.meta()
                    .at("/inputs/demo/route_at_boundary/dy_thres_equal_to_score/dy_thres")
                    .asDouble();
            float above = (float) g.meta()
                    .at("/inputs/demo/route_at_boundary/dy_thres_next_float32_above_score/dy_thres")
                    .asDouble();
            float ours = zero.scores()[0];
            assertClose("score", m.create(new float[] {score}), m.create(new float[] {ours}), 1e-6);
            assertEquals(Route.ROUTE1, model.forward(x, ours).routes().get(0));
            assertEquals(
                    Route.ROUTE2, model.forward(x, Math.nextUp(ours)).routes().get(0));
            assertTrue(above > score);
        }
    }

    @Test
    void stepOneModelAlwaysTakesRouteTwo() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelSpec spec = ModelSpec.load(Golden.file("dy-yolov7-w025-step1.yaml"));
            DynamicDetModel model = DynamicDetModel.initialized(Network.build(spec), m.newSubManager(), 1);
            NDArray x = m.randomUniform(0f, 1f, new Shape(2, 3, 64, 64));
            RoutedOutput out = model.forward(x, 0f);
            assertEquals(List.of(Route.ROUTE2, Route.ROUTE2), new ArrayList<>(out.routes()));
            assertClose("step-1 eval = route 2", model.forward(x, Route.ROUTE2).decoded(), out.decoded(), 0);
        }
    }
}
