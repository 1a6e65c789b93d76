package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.Hyperparameters;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Schedule values against numbers computed with the original's formulas in Python (numpy.interp, round, math.cos):
 * src/test/python/schedule_reference.py -> src/test/resources/train/schedule_reference.json.
 */
class ScheduleTest {
    private static final Map<String, String> HYP = Map.of(
            "hyp.scratch.p5.yaml",
            "scratch.p5",
            "hyp.scratch.p6.yaml",
            "scratch.p6",
            "hyp.finetune.dynamic.adam.yaml",
            "finetune-dynamic");

    static JsonNode reference(String name) throws IOException {
        try (InputStream in = ScheduleTest.class.getResourceAsStream("/train/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static void assertNear(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-14 + 1e-300, what);
    }

    @Test
    void matchesTheOriginalFormulas() throws IOException {
        int rows = 0;
        for (JsonNode c : reference("schedule_reference.json").get("cases")) {
            String name = c.get("name").asText();
            Schedule s = Schedule.of(
                            Hyperparameters.builtIn(HYP.get(c.get("hyp").asText())),
                            c.get("epochs").asInt(),
                            c.get("nb").asLong(),
                            c.get("total_batch").asInt(),
                            c.get("linear").asBoolean())
                    .withMinWarmupIterations(c.get("min_warmup").asLong())
                    .withNominalBatch(c.get("nbs").asInt());
            assertEquals(c.get("nw").asLong(), s.warmupIterations(), name + " nw");
            assertEquals(c.get("weight_decay").asDouble(), s.weightDecay(), name + " weight decay");
            assertEquals(c.get("accumulate_after_warmup").asInt(), s.accumulateAfterWarmup(), name + " accumulate");
            JsonNode lf = c.get("lf");
            for (int e = 0; e < lf.size(); e++)
                assertNear(lf.get(e).asDouble(), s.lrFactor(e), name + " lf(" + e + ")");
            for (JsonNode r : c.get("rows")) {
                long ni = r.get("ni").asLong();
                int epoch = r.get("epoch").asInt();
                String at = name + " ni=" + ni;
                assertEquals(epoch, (int) (ni / s.batchesPerEpoch()));
                assertEquals(
                        r.get("accumulate").asInt(),
                        s.accumulate(ni),
                        at + " accumulate (interp " + r.get("interp_accumulate") + ")");
                assertNear(r.get("momentum").asDouble(), s.momentum(ni), at + " momentum");
                for (int g = 0; g < c.get("groups").asInt(); g++) {
                    assertNear(r.get("lr").get(g).asDouble(), s.lr(g, ni, epoch), at + " lr of group " + g);
                }
                rows++;
            }
        }
        assertEquals(62, rows);
    }

    @Test
    void bankersRoundingAtHalves() {
        assertEquals(0, Schedule.pythonRound(0.5));
        assertEquals(2, Schedule.pythonRound(1.5));
        assertEquals(2, Schedule.pythonRound(2.5));
        assertEquals(4, Schedule.pythonRound(3.5));
        assertEquals(3, Schedule.pythonRound(2.5000001));
        // batch 128: nbs/tb = 0.5 rounds to 0, so accumulate is max(0, 1) = 1 and the decay doubles
        Schedule s = Schedule.of(Hyperparameters.scratchP5(), 300, 200, 128, false);
        assertEquals(1, s.accumulateAfterWarmup());
        assertEquals(0.001, s.weightDecay(), 1e-18);
        // batch 16: halfway through warmup the interpolated accumulate is exactly 2.5 -> 2
        Schedule b16 = Schedule.of(Hyperparameters.scratchP5(), 300, 200, 16, false);
        assertEquals(2.5, Schedule.interp(500, 1000, 1, 4.0));
        assertEquals(2, b16.accumulate(500));
        assertEquals(3, b16.accumulate(501));
    }

    @Test
    void warmupEndsAtNwAndStep2HasNoBiasWarmup() {
        Hyperparameters hyp = Hyperparameters.builtIn("finetune-dynamic");
        Schedule s = Schedule.of(hyp, 2, 118_287, 1, true);
        assertEquals(1183, s.warmupIterations());
        assertTrue(s.inWarmup(1183));
        assertFalse(s.inWarmup(1184));
        assertEquals(0.0, s.lr(0, 0, 0));
        assertEquals(0.0, s.lr(1, 0, 0), "group 1 of step 2 rises from 0, not from warmup_bias_lr");
        assertEquals(hyp.lr0(), s.lr(1, 5000, 1), 1e-20);
        assertEquals(64, s.accumulate(5000));
        Schedule p5 = Schedule.of(Hyperparameters.scratchP5(), 300, 200, 16, false);
        assertEquals(0.1, p5.lr(ParameterGroups.BIAS_GROUP, 0, 0));
        assertEquals(0.8, p5.momentum(0));
        assertEquals(0.937, p5.momentum(2000));
        assertEquals(0.01 * 0.1, p5.lr(0, 1_000_000, 300), 1e-15, "lf(E) = lrf");
        assertEquals(601, p5.iteration(3, 1));
    }

    @Test
    void stepRuleFollowsAccumulation() {
        long last = Schedule.NO_STEP_YET;
        StringBuilder stepped = new StringBuilder();
        for (long ni = 0; ni < 10; ni++) {
            if (Schedule.stepsAt(ni, last, 4)) {
                stepped.append(ni).append(' ');
                last = ni;
            }
        }
        assertEquals("3 7 ", stepped.toString());
        assertTrue(Schedule.stepsAt(0, Schedule.NO_STEP_YET, 1));
        assertFalse(Schedule.stepsAt(5, 3, 3));
    }

    @Test
    void rejectsNonsense() {
        Hyperparameters hyp = Hyperparameters.scratchP5();
        assertEquals(
                1.0, Schedule.of(hyp, 1, 10, 16, true).lrFactor(0), 0.0, "a one-epoch linear schedule stays at lr0");
        assertThrows(IllegalArgumentException.class, () -> Schedule.of(hyp, 10, 0, 16, false));
        assertThrows(IllegalArgumentException.class, () -> Schedule.of(hyp, 10, 10, 0, false));
    }
}
