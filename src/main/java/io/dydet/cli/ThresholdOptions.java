package io.dydet.cli;

import io.dydet.model.RouterSetting;
import java.util.List;
import picocli.CommandLine.Option;

/** The ways to choose the router threshold, shared by the commands that route images (design.md, Routing). */
public final class ThresholdOptions {
    /** The default threshold, the original's. */
    public static final float DEFAULT_THRESHOLD = 0.5f;

    // no defaultValue: picocli would apply it after the hidden aliases below had set the field
    @Option(
            names = "--dy-thres",
            paramLabel = "T",
            description = "router threshold: route 1 iff easiness score >= T (default 0.5)")
    public Float dyThres;

    @Option(
            names = "--easy-ratio",
            paramLabel = "R",
            description = "share of images on route 1, from the model's calibration (instead of --dy-thres)")
    public Double easyRatio;

    @Option(
            names = "--gflops",
            paramLabel = "G",
            description = "GFLOPs budget per image: the most accurate calibrated setting that fits")
    public Double gflops;

    @Option(
            names = "--latency-ms",
            paramLabel = "L",
            description =
                    "latency budget per image: the most accurate calibrated setting whose expected time fits (needs --route-ms)")
    public Double latencyMs;

    @Option(
            names = "--route-ms",
            paramLabel = "R1,R2",
            split = ",",
            description = "per-route latencies on this machine in ms, e.g. from dydet benchmark")
    public List<Double> routeMs;

    // the names other tools and older dydet scripts used for the same threshold
    @Option(
            names = {"--router-threshold", "--dynamic-threshold"},
            hidden = true,
            paramLabel = "T")
    void routerThreshold(float t) {
        dyThres = t;
    }

    public RouterSetting setting() {
        if (easyRatio != null) return new RouterSetting.EasyRatio(easyRatio);
        if (gflops != null) return new RouterSetting.GflopsBudget(gflops);
        if (latencyMs != null) {
            if (routeMs == null || routeMs.size() != 2)
                throw new IllegalArgumentException(
                        "--latency-ms needs --route-ms R1,R2 (per-route milliseconds, e.g. from dydet benchmark)");
            return new RouterSetting.LatencyBudget(latencyMs, routeMs.get(0), routeMs.get(1));
        }
        return new RouterSetting.Threshold(dyThres != null ? dyThres : DEFAULT_THRESHOLD);
    }
}
