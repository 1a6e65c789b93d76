package io.dydet.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Size and cost of a model at one input size: trainable parameters per part (unfused, as checkpoints hold them)
 * and GFLOPs per route, counted as 2 x the convolution multiply-accumulates of the fused (deploy) model with the
 * router included, the convention of the reference counts.
 */
public record ModelInfo(
        String model, int imageSize, Map<String, Long> params, double route1Gflops, double route2Gflops) {
    public ModelInfo {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public static ModelInfo of(Network network, int imageSize) {
        Network fused = network.fused();
        return new ModelInfo(
                network.spec().name(),
                imageSize,
                network.parameterCounts(),
                fused.gflops(Route.ROUTE1, imageSize, imageSize),
                fused.gflops(Route.ROUTE2, imageSize, imageSize));
    }

    public long totalParams() {
        return params.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Parameters that route 1 uses: first backbone, first head, router. */
    public long route1Params() {
        return params.get("b1") + params.get("head1") + params.get("router");
    }

    /** Parameters that route 2 uses: first backbone, composite connections and second backbone, second head, router. */
    public long route2Params() {
        return params.get("b1") + params.get("b2") + params.get("head2") + params.get("router");
    }

    /** Expected GFLOPs per image when a share {@code easyShare} of images takes route 1. */
    public double mixedGflops(double easyShare) {
        return easyShare * route1Gflops + (1 - easyShare) * route2Gflops;
    }

    /** The JSON form of {@code dydet info --json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("img", imageSize);
        m.put("params", params);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("route1", round(route1Gflops));
        g.put("route2", round(route2Gflops));
        m.put("gflops", g);
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
