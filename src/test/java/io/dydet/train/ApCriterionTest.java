package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The AP criterion's router loss s (b - Delta): its gradient on each score is the image's benefit minus the mean,
 * so images gaining more than the mean are pushed to route 2 (lower easiness) and the others to route 1.
 */
class ApCriterionTest {
    @Test
    void theGradientOnEachScoreIsTheBenefitAboveTheMedian() {
        Engines.start(0);
        Path a = Path.of("a.png"), b = Path.of("b.png"), c = Path.of("c.png");
        ApCriterion criterion = ApCriterion.of(Map.of(a, 0.010, b, -0.002, c, 0.004));
        assertEquals(0.004, criterion.offset(), 1e-15, "the mean benefit");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray scores = m.create(new float[] {0.9f, 0.2f, 0.5f}, new Shape(3, 1));
            scores.setRequiresGradient(true);
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                ApCriterion.Result r = criterion.compute(scores, List.of(a, b, c));
                assertEquals(0.9 * 0.006 + 0.2 * -0.006 + 0, r.total().getFloat(0), 1e-7);
                Engines.backward(r.total());
                assertArrayEquals(
                        new float[] {0.006f, -0.006f, 0f}, scores.getGradient().toFloatArray(), 1e-7f);
                assertEquals(0.010, r.images().get(0).benefit(), 0.0);
                assertEquals(0.9f, r.images().get(0).score(), 1e-7f);
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> criterion.benefit(Path.of("d.png")));
        assertTrue(
                e.getMessage().contains("d.png") && e.getMessage().contains("not among the measured images"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ApCriterion.of(Map.of(a, Double.NaN)));
    }
}
