package io.dydet.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The original's internal metrics on hand-checkable cases. */
class DetectionMetricsTest {
    static CocoGroundTruth gt() {
        CocoGroundTruth.Builder b =
                CocoGroundTruth.builder().addCategory(1, "a").addCategory(2, "b");
        for (long img = 1; img <= 4; img++) {
            b.addImage(img);
            b.addAnnotation(img, 1, 10, 10, 50, 40);
            b.addAnnotation(img, 2, 100, 80, 30, 60);
        }
        return b.build();
    }

    @Test
    void groundTruthAsPredictionsScoresOne() {
        CocoGroundTruth gt = gt();
        List<CocoDetection> dets = new ArrayList<>();
        for (CocoGroundTruth.Annotation a : gt.annotations())
            dets.add(new CocoDetection(a.imageId(), a.categoryId(), a.x(), a.y(), a.width(), a.height(), 0.9));
        DetectionMetrics.Result r = DetectionMetrics.compute(gt, dets, List.of(1L, 2L, 3L, 4L));
        assertEquals(1.0, r.map50(), 1e-9);
        assertEquals(1.0, r.map(), 1e-9);
        assertEquals(1.0, r.precision(), 1e-9);
        assertEquals(1.0, r.recall(), 1e-9);
        assertEquals(8, r.targets());
        assertEquals(1.0, r.fitness(), 1e-9);
    }

    @Test
    void halfTheObjectsFoundAndDuplicatesCostPrecision() {
        CocoGroundTruth gt = gt();
        List<CocoDetection> dets = new ArrayList<>();
        for (CocoGroundTruth.Annotation a : gt.annotations()) {
            if (a.imageId() <= 2) {
                dets.add(new CocoDetection(a.imageId(), a.categoryId(), a.x(), a.y(), a.width(), a.height(), 0.9));
                dets.add(new CocoDetection(
                        a.imageId(),
                        a.categoryId(),
                        a.x() + 1,
                        a.y(),
                        a.width(),
                        a.height(),
                        0.5)); // duplicate: a false positive
            }
        }
        DetectionMetrics.Result r = DetectionMetrics.compute(gt, dets, List.of(1L, 2L, 3L, 4L));
        // recall tops out at 0.5 per class: envelope 1 up to 0.5, then 0 after 0.51 -> AP about 0.5
        assertEquals(0.5, r.map50(), 0.02);
        assertTrue(r.recall() <= 0.5 + 1e-9);
        // shifted boxes (40%) no longer match at IoU 0.5: AP is the original's floor of 0.005 (its recall sentinel
        // last + 0.01 with precision 1 at recall 0 leaves one trapezoid of area 0.01 x 1 / 2)
        List<CocoDetection> shifted = new ArrayList<>();
        for (CocoGroundTruth.Annotation a : gt.annotations())
            shifted.add(new CocoDetection(
                    a.imageId(), a.categoryId(), a.x() + 0.4 * a.width(), a.y(), a.width(), a.height(), 0.9));
        assertEquals(
                0.005,
                DetectionMetrics.compute(gt, shifted, List.of(1L, 2L, 3L, 4L)).map50(),
                1e-9);
    }

    @Test
    void computeApOfAPerfectCurveIsOne() {
        assertEquals(1.0, DetectionMetrics.computeAp(new double[] {0.5, 1.0}, new double[] {1.0, 1.0}), 1e-12);
    }
}
