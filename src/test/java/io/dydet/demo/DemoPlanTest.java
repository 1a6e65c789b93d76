package io.dydet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.train.Trainer;
import org.junit.jupiter.api.Test;

/** The demo's plan shrinks in proportion to the time left, never below each step's minimum, and says what it runs. */
class DemoPlanTest {
    @Test
    void remainingTimeCountsTheRestOfEveryLaterStepFromMeasuredOrEstimatedEpochs() {
        DemoPlan p = new DemoPlan(20, 10, 8, 0.5);
        assertTrue(Double.isNaN(p.cost(Trainer.ROUTE2)), "nothing measured yet");
        p.measured(Trainer.STEP1, 10);
        assertEquals(6, p.cost(Trainer.ROUTE2), 1e-9);
        assertEquals(10 * 0.35 * 0.5, p.cost(Trainer.STEP2), 1e-9);
        // after 4 of 20 step-1 epochs: 16 * 10 + 10 * 6 + 8 * 1.75 + the tail
        assertEquals(160 + 60 + 14, p.remainingSeconds(Trainer.STEP1, 4) - p.remainingSeconds(Trainer.STEP2, 8), 1e-9);
        p.measured(Trainer.ROUTE2, 4);
        assertEquals(4, p.cost(Trainer.ROUTE2), 1e-9, "a measured step's own cost replaces the estimate");
    }

    @Test
    void shrinkingKeepsTheProportionsAndTheMinimumsAndFitsTheTime() {
        DemoPlan p = new DemoPlan(20, 10, 8, 1.0);
        p.measured(Trainer.STEP1, 10);
        double tail = p.remainingSeconds(Trainer.STEP2, 8);
        double full = p.remainingSeconds(Trainer.STEP1, 2);
        p.shrinkTo(Trainer.STEP1, 2, tail + (full - tail) / 2);
        assertTrue(p.shortened());
        assertEquals(20, p.planned(Trainer.STEP1));
        assertEquals(2 + 9, p.epochs(Trainer.STEP1), "half of the 18 epochs left");
        assertEquals(5, p.epochs(Trainer.ROUTE2));
        assertEquals(4, p.epochs(Trainer.STEP2));
        assertTrue(p.remainingSeconds(Trainer.STEP1, 2) <= tail + (full - tail) / 2 + 1e-9, "the shortened plan fits");

        DemoPlan tight = new DemoPlan(20, 10, 8, 1.0);
        tight.measured(Trainer.STEP1, 10);
        tight.shrinkTo(Trainer.STEP1, 5, 0);
        assertEquals(8, tight.epochs(Trainer.STEP1), "step 1 keeps its minimum of 8 epochs");
        assertEquals(0, tight.epochs(Trainer.ROUTE2));
        assertEquals(3, tight.epochs(Trainer.STEP2));
        DemoPlan late = new DemoPlan(20, 10, 8, 1.0);
        late.measured(Trainer.STEP1, 10);
        late.shrinkTo(Trainer.STEP1, 12, 0);
        assertEquals(12, late.epochs(Trainer.STEP1), "never below the epochs already run");
    }

    @Test
    void theSmallestPlanLeavesThisOneAloneAndIsNoLongerThanIt() {
        DemoPlan p = new DemoPlan(6, 2, 2, 1.0);
        p.measured(Trainer.STEP1, 10);
        DemoPlan s = p.smallest(Trainer.STEP1, 1);
        assertEquals(6, s.epochs(Trainer.STEP1), "a planned step shorter than its minimum stays as planned");
        assertEquals(0, s.epochs(Trainer.ROUTE2));
        assertEquals(2, s.epochs(Trainer.STEP2));
        assertFalse(p.shortened());
        assertEquals("step 1 6, route 2 2, step 2 2 epochs", p.describe());
    }
}
