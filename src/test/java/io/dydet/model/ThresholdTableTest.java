package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Calibration thresholds: the literal 0, numpy's linear percentiles, the literal 1. */
class ThresholdTableTest {
    static final float[] SCORES = {0.9f, 0.1f, 0.5f, 0.3f, 0.7f, 0.2f, 0.4f, 0.6f, 0.8f, 0.99f
    }; // a sigmoid stays below 1

    static ThresholdTable table() {
        double[] g1 = new double[SCORES.length], g2 = new double[SCORES.length];
        java.util.Arrays.fill(g1, 100);
        java.util.Arrays.fill(g2, 200);
        return ThresholdTable.fromScores(SCORES, g1, g2, 640, "test");
    }

    @Test
    void thresholdsArePercentilesWithLiteralEnds() {
        ThresholdTable t = table();
        assertEquals(11, t.entries().size());
        assertEquals(0.0, t.entries().get(0).threshold());
        assertEquals(1.0, t.entries().get(0).easyShare());
        assertEquals(1.0, t.entries().get(10).threshold());
        assertEquals(0.0, t.entries().get(10).easyShare());
        // numpy.percentile([0.1, ..., 1.0], q): position (n - 1) q / 100, linear
        double[] numpy = {0.19, 0.28, 0.37, 0.46, 0.55, 0.64, 0.73, 0.82, 0.909};
        for (int k = 1; k <= 9; k++)
            assertEquals(numpy[k - 1], t.entries().get(k).threshold(), 1e-6, "percentile " + 10 * k);
        // expected GFLOPs follow the real split of the calibration scores
        assertEquals(100.0, t.entries().get(0).gflops(), 1e-9);
        assertEquals(200.0, t.entries().get(10).gflops(), 1e-9);
        assertEquals(150.0, t.entries().get(5).gflops(), 1e-9);
    }

    @Test
    void budgetsPickTheMostAccurateSettingThatFits() {
        ThresholdTable t = table();
        assertEquals(0.5, t.forGflopsBudget(150).easyShare(), 1e-9);
        assertEquals(0.0, t.forGflopsBudget(500).easyShare(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> t.forGflopsBudget(50));
        assertEquals(0.3, t.forLatencyBudget(17.0, 10, 20).easyShare(), 1e-9);
        assertEquals(t.entries().get(5).threshold(), t.thresholdForEasyRatio(0.5), 1e-12);
        assertTrue(t.thresholdForEasyRatio(0.55) < t.thresholdForEasyRatio(0.5));
        assertEquals(t.toJson(), ThresholdTable.fromJson(t.toJson(), "x").toJson());
    }
}
