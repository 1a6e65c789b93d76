package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpearmanTest {
    @Test
    void knownValues() {
        assertEquals(1.0, Spearman.rho(new double[] {1, 2, 3, 4}, new double[] {10, 20, 35, 90}), 1e-12);
        assertEquals(-1.0, Spearman.rho(new double[] {1, 2, 3, 4}, new double[] {9, 5, 2, 1}), 1e-12);
        // scipy.stats.spearmanr([1, 2, 2, 3, 5], [2, 1, 4, 3, 5]) = 0.6668859288553503 (ties get mean ranks)
        assertEquals(
                0.6668859288553503, Spearman.rho(new double[] {1, 2, 2, 3, 5}, new double[] {2, 1, 4, 3, 5}), 1e-12);
        assertTrue(Double.isNaN(Spearman.rho(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
    }
}
