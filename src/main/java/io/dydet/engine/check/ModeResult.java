package io.dydet.engine.check;

import java.util.List;

/**
 * The outcome of one check mode under one setting.
 *
 * @param status passed, failed (some shape computed wrong), crashed (the process died; see {@code crashedAt}),
 *     timed-out, or skipped (with the reason in {@code failures})
 * @param checked shapes compared with the reference
 * @param wrong shapes found wrong
 * @param seconds time spent in the engine for the checked shapes (the speed figure settings are compared by)
 * @param worst the largest error found, in multiples of its tolerance
 * @param failures the wrong shapes with their largest deviation, at most a few
 */
public record ModeResult(
        String status, int checked, int wrong, double seconds, double worst, List<String> failures, String crashedAt) {
    public static final String PASSED = "passed",
            FAILED = "failed",
            CRASHED = "crashed",
            TIMED_OUT = "timed-out",
            SKIPPED = "skipped";

    public ModeResult {
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    public boolean passed() {
        return PASSED.equals(status);
    }

    static ModeResult skipped(String why) {
        return new ModeResult(SKIPPED, 0, 0, 0, 0, List.of(why), null);
    }
}
