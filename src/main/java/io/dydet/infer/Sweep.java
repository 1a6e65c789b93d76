package io.dydet.infer;

import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import io.dydet.model.Route;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The accuracy/speed trade-off of one model: every image's router score and both routes' detections are computed
 * once, then each threshold picks per image the route the router would take, without running the network again.
 */
public final class Sweep {
    /** One row of the trade-off table. */
    public record Row(double threshold, double easyShare, double gflops, double msPerImage, CocoMetrics metrics) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("threshold", threshold);
            m.put("easy_share", easyShare);
            m.put("gflops", gflops);
            m.put("ms_per_image", msPerImage);
            m.put("AP", metrics.ap());
            m.put("AP50", metrics.ap50());
            return m;
        }
    }

    private Sweep() {}

    /**
     * Thresholds for easy shares 100%, 90%, ..., 0%: 0, the score percentiles (numpy's linear interpolation), 1 —
     * the original get_dynamic_thres.py's recipe.
     */
    public static double[] percentileThresholds(float[] scores) {
        double[] s = new double[scores.length];
        for (int i = 0; i < s.length; i++) s[i] = scores[i];
        Arrays.sort(s);
        double[] t = new double[11];
        t[0] = 0;
        for (int k = 1; k < 10; k++) t[k] = percentile(s, 10.0 * k);
        t[10] = 1;
        return t;
    }

    static double percentile(double[] sorted, double q) {
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public static List<Row> run(List<Validator.ImageResult> results, CocoGroundTruth gt, double[] thresholds) {
        List<Validator.ImageResult> ok = results.stream().filter(r -> r.error() == null).toList();
        if (ok.isEmpty()) throw new IllegalArgumentException("no evaluated image");
        List<Long> ids = ok.stream().map(Validator.ImageResult::imageId).toList();
        List<Row> rows = new ArrayList<>();
        for (double t : thresholds) {
            List<CocoDetection> dets = new ArrayList<>();
            int easy = 0;
            double gflops = 0, ms = 0;
            for (Validator.ImageResult r : ok) {
                Route route = r.routerScore() >= (float) t ? Route.EASY : Route.HARD;
                if (Float.isNaN(r.routerScore())) route = Route.HARD;
                if (route == Route.EASY) easy++;
                Validator.RouteResult rr = r.perRoute().get(route);
                if (rr == null) throw new IllegalStateException("sweep needs both routes per image (Options.bothRoutes)");
                dets.addAll(rr.detections());
                gflops += rr.gflops();
                ms += rr.modelMs();
            }
            rows.add(new Row(t, (double) easy / ok.size(), gflops / ok.size(), ms / ok.size(), CocoEvaluator.evaluate(gt, dets, ids)));
        }
        return rows;
    }
}
