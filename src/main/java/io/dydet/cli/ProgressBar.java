package io.dydet.cli;

import java.io.PrintStream;

/** A one-line terminal progress bar on stderr with count, rate and ETA. */
final class ProgressBar {
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private final PrintStream out = System.err;
    private long lastDraw;

    ProgressBar(String label, long total) {
        this.label = label;
        this.total = total;
    }

    void update(int done) {
        update(done, "");
    }

    /** With extra columns after the rate, e.g. running losses. */
    void update(int done, String columns) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double elapsed = (now - start) / 1e9;
        double rate = done / Math.max(elapsed, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : 0;
        int width = 30;
        int filled = (int) (width * done / Math.max(total, 1));
        out.printf("\r%-10s [%s%s] %d/%d  %.2f it/s  ETA %s %s", label, "#".repeat(filled), ".".repeat(width - filled), done, total, rate, time(eta), columns);
        out.flush();
    }

    void finish() {
        out.println();
    }

    private static String time(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
