package io.dydet.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One finished epoch: mean training losses, validation of route 2 (what picks {@code best}) and route 1 beside it,
 * learning rates, wall time. Metrics are NaN when validation did not run.
 */
public record EpochResult(
        int epoch, Map<String, Double> losses, Validation validation, double[] lr, double seconds, boolean best) {
    /**
     * The epoch's validation: route 2 (the detector's output, what picks {@code best}) and route 1's mAP beside it.
     * All NaN when validation did not run.
     */
    public record Validation(
            double precision, double recall, double map50, double map, double route1Map50, double route1Map) {
        public static final Validation NONE =
                new Validation(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    public double precision() {
        return validation.precision();
    }

    public double recall() {
        return validation.recall();
    }

    public double map50() {
        return validation.map50();
    }

    public double map() {
        return validation.map();
    }

    public double route1Map50() {
        return validation.route1Map50();
    }

    public double route1Map() {
        return validation.route1Map();
    }

    public double fitness() {
        return 0.1 * map50() + 0.9 * map();
    }

    /** The row of results.csv, in column order. */
    public Map<String, Object> row() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epoch", epoch);
        losses.forEach((k, v) -> r.put("train/" + k, v));
        r.put("P", precision());
        r.put("R", recall());
        r.put("mAP50", map50());
        r.put("mAP50_95", map());
        r.put("route1/mAP50", route1Map50());
        r.put("route1/mAP50_95", route1Map());
        for (int i = 0; i < lr.length; i++) r.put("lr" + i, lr[i]);
        r.put("seconds", seconds);
        return r;
    }
}
