package io.dydet.demo;

import io.dydet.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's training plan: epochs per step (step 1, route 2 alone, step 2) and what an epoch of each costs on this
 * machine, measured once a step runs and estimated from step 1 before. Shrinks in proportion to fit a time budget,
 * never below each step's minimum.
 */
final class DemoPlan {
    static final List<String> STEPS = List.of(Trainer.STEP1, Trainer.ROUTE2, Trainer.STEP2);
    /** Before they run: a route-2 epoch costs about 0.6 of a step-1 epoch, a router epoch about 0.35 per image (no backward through the detector). */
    private static final double ROUTE2_COST = 0.6, ROUTER_COST = 0.35;
    /** Calibration, sweep, routing diagnostics and report: measured 10-25 s on 2 cores at the demo's size. */
    private static final double TAIL_SECONDS = 30;

    private final Map<String, Integer> planned = new LinkedHashMap<>(),
            epochs = new LinkedHashMap<>(),
            minimum = new LinkedHashMap<>();
    private final Map<String, Double> perEpoch = new LinkedHashMap<>();
    private final double routerImageRatio;

    DemoPlan(int detector, int route2, int router, double routerImageRatio) {
        this.routerImageRatio = routerImageRatio;
        put(Trainer.STEP1, detector, Math.min(detector, 8));
        put(Trainer.ROUTE2, route2, 0);
        put(Trainer.STEP2, router, Math.min(router, 3));
    }

    private DemoPlan(DemoPlan o) {
        routerImageRatio = o.routerImageRatio;
        planned.putAll(o.planned);
        epochs.putAll(o.epochs);
        minimum.putAll(o.minimum);
        perEpoch.putAll(o.perEpoch);
    }

    private void put(String step, int n, int min) {
        planned.put(step, n);
        epochs.put(step, n);
        minimum.put(step, min);
    }

    int epochs(String step) {
        return epochs.get(step);
    }

    int planned(String step) {
        return planned.get(step);
    }

    boolean shortened() {
        return !epochs.equals(planned);
    }

    void measured(String step, double secondsPerEpoch) {
        perEpoch.put(step, secondsPerEpoch);
    }

    /** Seconds per epoch of a step: measured, else estimated from step 1's; NaN before any measurement. */
    double cost(String step) {
        Double m = perEpoch.get(step);
        if (m != null) return m;
        Double d = perEpoch.get(Trainer.STEP1);
        if (d == null) return Double.NaN;
        return step.equals(Trainer.ROUTE2) ? ROUTE2_COST * d : ROUTER_COST * routerImageRatio * d;
    }

    /** Seconds still to go with {@code done} epochs of {@code step} finished: its rest, the later steps and the tail. */
    double remainingSeconds(String step, int done) {
        double s = TAIL_SECONDS;
        for (String t : later(step)) s += (epochs.get(t) - (t.equals(step) ? done : 0)) * cost(t);
        return s;
    }

    /** This plan with the current and later steps at their minimum (the current one no shorter than done). */
    DemoPlan smallest(String step, int done) {
        DemoPlan p = new DemoPlan(this);
        for (String t : later(step))
            p.epochs.put(t, Math.min(epochs.get(t), Math.max(minimum.get(t), t.equals(step) ? done : 0)));
        return p;
    }

    /** Shrinks the current and later steps' remaining epochs in proportion so that they fit {@code seconds}, tail included. */
    void shrinkTo(String step, int done, double seconds) {
        double rest = remainingSeconds(step, done) - TAIL_SECONDS;
        double f = Math.max(0, (seconds - TAIL_SECONDS) / rest);
        for (String t : later(step)) {
            int from = t.equals(step) ? done : 0, left = epochs.get(t) - from;
            int shrunk = from + (int) Math.floor(left * f);
            epochs.put(t, Math.min(epochs.get(t), Math.max(shrunk, Math.max(minimum.get(t), from))));
        }
    }

    private static List<String> later(String step) {
        return STEPS.subList(STEPS.indexOf(step), STEPS.size());
    }

    /** "step 1 22, route 2 12, step 2 8 epochs". */
    String describe() {
        return String.format(
                Locale.ROOT,
                "step 1 %d, route 2 %d, step 2 %d epochs",
                epochs.get(Trainer.STEP1),
                epochs.get(Trainer.ROUTE2),
                epochs.get(Trainer.STEP2));
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String t : STEPS) m.put(t + "_epochs", Map.of("planned", planned.get(t), "run", epochs.get(t)));
        m.put("shortened_to_fit_budget", shortened());
        return m;
    }
}
