package io.dydet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The bar's rate and ETA against a fake clock: never above the measured rate, nothing from a near-zero time. */
class ProgressBarTest {
    private static final Pattern LINE = Pattern.compile("(\\d+)/(\\d+)  (\\S+) it/s  ETA (\\S+)");
    private static final long MS = 1_000_000L;

    /** A clock the test moves, a bar on it, and what the bar printed. */
    private static final class Fixture {
        long now = 123_456_789_000L; // nanoTime's origin is arbitrary
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ProgressBar bar;
        final long start = now;

        Fixture(long total) {
            bar = new ProgressBar("test", total, () -> now, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        }

        /** Moves the clock, updates the bar, returns the line it drew (null when it drew none). */
        Matcher step(long nanos, int done) {
            now += nanos;
            int before = bytes.size();
            bar.update(done);
            if (bytes.size() == before) return null;
            String drawn = bytes.toString(StandardCharsets.UTF_8).substring(before);
            Matcher m = LINE.matcher(drawn);
            assertTrue(m.find(), drawn);
            return m;
        }

        double seconds() {
            return (now - start) / 1e9;
        }
    }

    @Test
    void firstRateIsItemsOverTheTimeSinceTheStart() {
        Fixture f = new Fixture(10);
        Matcher m = f.step(1300 * MS, 1);
        double expected = 1 / 1.3;
        double shown = Double.parseDouble(m.group(3));
        assertEquals(expected, shown, 0.01);
        assertTrue(shown <= expected);
        // ETA: 9 items left at the rate shown, 11.7 s
        assertEquals("0:12", m.group(4));
    }

    @Test
    void noRateFromANearZeroTimeOrNoItem() {
        Fixture f = new Fixture(100);
        Matcher m = f.step(0, 0);
        assertEquals("?", m.group(3));
        assertEquals("?", m.group(4));
        m = f.step(1, 0); // throttled: no redraw
        assertEquals(null, m);
        f = new Fixture(100);
        m = f.step(2_000, 1); // the first step after 2 µs: 500000 it/s before
        assertEquals("?", m.group(3));
        assertEquals("?", m.group(4));
        m = f.step(ProgressBar.MIN_RATE_NANOS, 0); // long enough, but nothing done
        assertEquals("?", m.group(3));
        m = f.step(200 * MS, 2);
        assertEquals(2 / f.seconds(), Double.parseDouble(m.group(3)), 0.01);
    }

    @Test
    void finishedBarShowsNoTimeLeft() {
        Fixture f = new Fixture(3);
        Matcher m = f.step(10 * MS, 3);
        assertEquals("?", m.group(3));
        assertEquals("0:00", m.group(4));
    }

    @Test
    void neverShowsMoreThanTheMeasuredRate() {
        Random random = new Random(7);
        for (int run = 0; run < 20; run++) {
            int total = 1 + random.nextInt(200);
            Fixture f = new Fixture(total);
            int drawn = 0;
            for (int done = 0; done <= total; done++) {
                // steps from a microsecond to two seconds, some in bursts
                long nanos = random.nextInt(4) == 0 ? 1_000 : (long) (Math.pow(10, 3 + 6.3 * random.nextDouble()));
                Matcher m = f.step(nanos, done);
                if (m == null) continue;
                drawn++;
                assertEquals(done, Integer.parseInt(m.group(1)));
                if (m.group(3).equals("?")) {
                    assertTrue(
                            done == 0 || f.seconds() < 0.5, "no rate after " + f.seconds() + " s, " + done + " items");
                    continue;
                }
                double measured = done / f.seconds();
                double shown = Double.parseDouble(m.group(3));
                assertTrue(shown <= measured, shown + " it/s shown, " + measured + " measured");
                assertEquals(measured, shown, 0.01);
            }
            assertTrue(drawn >= 2); // the first and the last update are always drawn
        }
    }
}
