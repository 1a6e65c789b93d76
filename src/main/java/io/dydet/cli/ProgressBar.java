package io.dydet.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line terminal progress bar on stderr with count, rate and ETA. The rate is items done over the time since
 * the bar was made (so make it when the work starts), and shows as "?" until one item is done and
 * {@link #MIN_RATE_NANOS} have passed: over a few milliseconds it says nothing (one item in 2 µs read as 500000 it/s).
 */
final class ProgressBar {
    /** No rate or ETA before this much time since the start. */
    static final long MIN_RATE_NANOS = 500_000_000L;
    /** Redraws at most this often, except the last. */
    private static final long REDRAW_NANOS = 100_000_000L;

    private final String label;
    private final long total;
    private final LongSupplier nanoTime;
    private final PrintStream out;
    private final long start;
    private long lastDraw;
    private boolean drawn;

    ProgressBar(String label, long total) {
        this(label, total, System::nanoTime, System.err);
    }

    /** With a clock and a stream of the caller's (tests). */
    ProgressBar(String label, long total, LongSupplier nanoTime, PrintStream out) {
        this.label = label;
        this.total = total;
        this.nanoTime = nanoTime;
        this.out = out;
        this.start = nanoTime.getAsLong();
    }

    void update(int done) {
        update(done, "");
    }

    /** With extra columns after the rate, e.g. running losses. */
    void update(int done, String columns) {
        long now = nanoTime.getAsLong();
        if (drawn && done < total && now - lastDraw < REDRAW_NANOS) return;
        drawn = true;
        lastDraw = now;
        long elapsed = now - start;
        String rate = "?";
        String eta = done >= total ? time(0) : "?";
        if (done >= 1 && elapsed >= MIN_RATE_NANOS) {
            double perSecond = done / (elapsed / 1e9);
            // rounded down: the bar never shows more than was measured
            rate = String.format(Locale.ROOT, "%.2f", Math.floor(perSecond * 100) / 100);
            if (done < total) eta = time((total - done) / perSecond);
        }
        int width = 30;
        int filled = (int) (width * Math.min(done, total) / Math.max(total, 1));
        out.printf(
                "\r%-10s [%s%s] %d/%d  %s it/s  ETA %s %s",
                label, "#".repeat(filled), ".".repeat(width - filled), done, total, rate, eta, columns);
        out.flush();
    }

    void finish() {
        out.println();
    }

    private static String time(double s) {
        long t = Math.round(s);
        return t >= 3600
                ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format("%d:%02d", t / 60, t % 60);
    }
}
