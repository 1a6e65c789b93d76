package io.dydet.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {
    @Test
    void matchesMissesAndFalseDetections() {
        CocoGroundTruth gt = CocoGroundTruth.builder()
                .addCategory(1, "a")
                .addCategory(2, "b")
                .addImage(1)
                .addAnnotation(1, 1, 0, 0, 10, 10)
                .addAnnotation(1, 2, 50, 50, 10, 10)
                .addAnnotation(1, 2, 100, 100, 10, 10)
                .build();
        List<CocoDetection> dets = List.of(
                new CocoDetection(1, 1, 0, 0, 10, 10, 0.9), // a as a
                new CocoDetection(1, 1, 50, 50, 10, 10, 0.8), // b predicted as a
                new CocoDetection(1, 2, 200, 200, 10, 10, 0.7), // false detection of b
                new CocoDetection(1, 2, 100, 100, 10, 10, 0.1)); // below conf 0.25: ignored, so that b is missed
        long[][] c = ConfusionMatrix.compute(gt, dets, List.of(1L), 0.25, 0.45).counts();
        assertEquals(1, c[0][0]); // a -> a
        assertEquals(1, c[0][1]); // predicted a, true b
        assertEquals(1, c[2][1]); // missed b (background row)
        assertEquals(1, c[1][2]); // false b (background column)
        assertEquals(0, c[1][1]);
    }
}
