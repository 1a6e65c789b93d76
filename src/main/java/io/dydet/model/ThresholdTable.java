package io.dydet.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.json.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibrated router thresholds (design.md, Calibration): for easy shares 100%, 90%, ..., 0% the threshold that sends that share of
 * the calibration images to route 1 (the literal 0, the 10th ... 90th score percentiles with linear
 * interpolation, the literal 1), each with the GFLOPs per image it cost on the calibration set.
 */
public record ThresholdTable(List<Entry> entries, int images, int imageSize, String data) {
    /** One setting: the share of images on route 1, the threshold, and the expected GFLOPs per image. */
    public record Entry(double easyShare, double threshold, double gflops) {}

    private static final ObjectMapper JSON = Json.MAPPER;

    public ThresholdTable {
        entries = List.copyOf(entries);
    }

    /** The original's thresholds from easiness scores, with per-image route costs for the expected GFLOPs. */
    public static ThresholdTable fromScores(
            float[] scores, double[] route1Gflops, double[] route2Gflops, int imageSize, String data) {
        double[] thresholds = thresholds(scores);
        List<Entry> e = new ArrayList<>();
        for (int k = 0; k <= 10; k++) {
            double easy = 1 - k / 10.0;
            double t = thresholds[k];
            double g = 0;
            for (int i = 0; i < scores.length; i++) g += scores[i] >= (float) t ? route1Gflops[i] : route2Gflops[i];
            e.add(new Entry(easy, t, g / scores.length));
        }
        return new ThresholdTable(e, scores.length, imageSize, data);
    }

    /**
     * Thresholds for easy shares 100%, 90%, ..., 0% (the original get_dynamic_thres.py's recipe): the literal 0,
     * the 10th ... 90th score percentiles, the literal 1.
     */
    public static double[] thresholds(float[] scores) {
        if (scores.length == 0) throw new IllegalArgumentException("thresholds need at least one score");
        double[] sorted = new double[scores.length];
        for (int i = 0; i < scores.length; i++) sorted[i] = scores[i];
        Arrays.sort(sorted);
        double[] t = new double[11];
        for (int k = 1; k < 10; k++) t[k] = percentile(sorted, 10.0 * k);
        t[10] = 1;
        return t;
    }

    /** numpy's percentile with linear interpolation on sorted values. */
    public static double percentile(double[] sorted, double q) {
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /** The threshold for an easy share in [0, 1]; between table rows the threshold is interpolated linearly. */
    public double thresholdForEasyRatio(double ratio) {
        if (!(ratio >= 0 && ratio <= 1))
            throw new IllegalArgumentException("easy ratio must be in [0, 1], got " + ratio);
        for (int i = 0; i + 1 < entries.size(); i++) {
            Entry a = entries.get(i), b = entries.get(i + 1); // easy shares descend
            if (ratio <= a.easyShare() && ratio >= b.easyShare()) {
                if (a.easyShare() == b.easyShare()) return a.threshold();
                double f = (a.easyShare() - ratio) / (a.easyShare() - b.easyShare());
                return a.threshold() + f * (b.threshold() - a.threshold());
            }
        }
        return entries.get(entries.size() - 1).threshold();
    }

    /** The most accurate setting (largest route-2 share) whose expected GFLOPs fit the budget. */
    public Entry forGflopsBudget(double gflops) {
        Entry best = null;
        for (Entry e : entries)
            if (e.gflops() <= gflops && (best == null || e.easyShare() < best.easyShare())) best = e;
        if (best == null) {
            double min = entries.stream().mapToDouble(Entry::gflops).min().orElse(Double.NaN);
            throw new IllegalArgumentException("no calibrated setting fits " + gflops
                    + " GFLOPs per image; the cheapest (all route 1) costs " + String.format("%.2f", min));
        }
        return best;
    }

    /** The most accurate setting whose expected latency fits, from per-route latencies measured on this machine. */
    public Entry forLatencyBudget(double ms, double route1Ms, double route2Ms) {
        Entry best = null;
        for (Entry e : entries) {
            double expected = e.easyShare() * route1Ms + (1 - e.easyShare()) * route2Ms;
            if (expected <= ms && (best == null || e.easyShare() < best.easyShare())) best = e;
        }
        if (best == null)
            throw new IllegalArgumentException(
                    "no calibrated setting fits " + ms + " ms per image; route 1 alone takes " + route1Ms + " ms");
        return best;
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", images);
        m.put("image_size", imageSize);
        m.put("data", data);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("easy_share", e.easyShare());
            r.put("threshold", e.threshold());
            r.put("gflops", e.gflops());
            rows.add(r);
        }
        m.put("thresholds", rows);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public static ThresholdTable fromJson(String json, String source) {
        try {
            JsonNode n = JSON.readTree(json);
            List<Entry> e = new ArrayList<>();
            for (JsonNode r : n.get("thresholds"))
                e.add(new Entry(
                        r.get("easy_share").asDouble(),
                        r.get("threshold").asDouble(),
                        r.get("gflops").asDouble()));
            return new ThresholdTable(
                    e,
                    n.path("images").asInt(),
                    n.path("image_size").asInt(),
                    n.path("data").asText(null));
        } catch (JsonProcessingException | RuntimeException ex) {
            throw new ModelLoadException(source + ": malformed calibration table: " + ex.getMessage(), ex);
        }
    }
}
