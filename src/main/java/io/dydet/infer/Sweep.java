package io.dydet.infer;

import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import io.dydet.model.Route;
import io.dydet.model.ThresholdTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

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

    /** The calibration recipe's thresholds for these scores (see {@link ThresholdTable#thresholds}). */
    public static double[] percentileThresholds(float[] scores) {
        return ThresholdTable.thresholds(scores);
    }

    public static List<Row> run(List<Validator.ImageResult> results, CocoGroundTruth gt, double[] thresholds) {
        List<Validator.ImageResult> ok =
                results.stream().filter(r -> r.error() == null).toList();
        if (ok.isEmpty()) throw new IllegalArgumentException("no evaluated image");
        List<Long> ids = ok.stream().map(Validator.ImageResult::imageId).toList();
        List<Row> rows = new ArrayList<>();
        for (double t : thresholds) {
            List<CocoDetection> dets = new ArrayList<>();
            int easy = 0;
            double gflops = 0, ms = 0;
            for (Validator.ImageResult r : ok) {
                Route route = r.routerScore() >= (float) t ? Route.ROUTE1 : Route.ROUTE2;
                if (Float.isNaN(r.routerScore())) route = Route.ROUTE2;
                if (route == Route.ROUTE1) easy++;
                Validator.RouteResult rr = r.perRoute().get(route);
                if (rr == null)
                    throw new IllegalStateException("sweep needs both routes per image (Options.bothRoutes)");
                dets.addAll(rr.detections());
                gflops += rr.gflops();
                ms += rr.modelMs();
            }
            rows.add(new Row(
                    t,
                    (double) easy / ok.size(),
                    gflops / ok.size(),
                    ms / ok.size(),
                    CocoEvaluator.evaluate(gt, dets, ids)));
        }
        return rows;
    }

    /**
     * The same results with a seeded uniform random easiness score per image in place of the router's: the
     * baseline a trained router must beat at the same easy/hard split.
     */
    public static List<Validator.ImageResult> withRandomScores(List<Validator.ImageResult> results, long seed) {
        // java.util.Random's first draw barely moves between nearby seeds; SplittableRandom's does (the xor keeps it
        // apart
        // from RoutingDiagnostics' draws of the same seed)
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Validator.ImageResult> out = new ArrayList<>(results.size());
        for (Validator.ImageResult r : results) {
            float s = (float) rng.nextDouble();
            out.add(r.withRouterScore(r.error() == null ? s : r.routerScore()));
        }
        return out;
    }
}
