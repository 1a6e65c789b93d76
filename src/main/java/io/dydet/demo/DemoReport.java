package io.dydet.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.demo.DemoDataGenerator;
import io.dydet.files.AtomicFile;
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Sweep;
import io.dydet.json.Json;
import io.dydet.model.Route;
import io.dydet.train.Spearman;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the demo found, written to demo.json: the trade-off rows, the claims (AP and time rise with the route-2
 * share; the router scores generated-hard images lower; it routes better than a random router at every easy share),
 * the routing diagnostics, each validation image's route, the training plan as run, and stage times.
 *
 * @param routing per sweep row, the router's AP against the random router's band and the oracle's, and the efficacy
 * @param threshold the router threshold of the annotated images (half the validation images on route 1)
 */
public record DemoReport(
        Run run,
        List<Sweep.Row> rows,
        RoutingDiagnostics.Result routing,
        RouterVsDifficulty router,
        double threshold,
        List<RoutedImage> images) {
    /**
     * The run itself: its folder and settings, the generated data, the calibrated model file, the training plan as
     * run and the stage times.
     *
     * @param plan the training plan: epochs planned and run per step (shortened when the budget required)
     */
    public record Run(
            Path out,
            DemoSettings settings,
            DemoDataGenerator.Summary data,
            Path model,
            Map<String, Object> plan,
            Map<String, Double> stageSeconds,
            double totalSeconds) {}

    public Path out() {
        return run.out();
    }

    public DemoSettings settings() {
        return run.settings();
    }

    public DemoDataGenerator.Summary data() {
        return run.data();
    }

    public Path model() {
        return run.model();
    }

    public Map<String, Object> plan() {
        return run.plan();
    }

    public Map<String, Double> stageSeconds() {
        return run.stageSeconds();
    }

    public double totalSeconds() {
        return run.totalSeconds();
    }

    /**
     * A validation image as the demo routed it at {@link #threshold}; {@code route2Gain} is what moving it to route 2
     * adds to the set's AP (what the routing diagnostics' oracle ranks by).
     */
    public record RoutedImage(
            String file,
            float score,
            Route route,
            boolean generatedHard,
            double route2Gain,
            int detections,
            String annotated) {}

    /** The mean AP gain from route 2 per generated-hard ({@code true}) or generated-easy image. */
    public double meanRoute2Gain(boolean generatedHard) {
        return images.stream()
                .filter(i -> i.generatedHard() == generatedHard)
                .mapToDouble(RoutedImage::route2Gain)
                .average()
                .orElse(Double.NaN);
    }

    /** The demo's premise: route 2 helps the generated-hard images more than the easy ones. */
    public boolean route2HelpsHardImagesMore() {
        return meanRoute2Gain(true) > meanRoute2Gain(false);
    }

    /** The row with all images on route 1 and the row with all on route 2. */
    public Sweep.Row allRoute1() {
        return rows.stream()
                .max(Comparator.comparingDouble(Sweep.Row::easyShare))
                .orElseThrow();
    }

    public Sweep.Row allRoute2() {
        return rows.stream()
                .min(Comparator.comparingDouble(Sweep.Row::easyShare))
                .orElseThrow();
    }

    /** Rank correlation of AP with the route-2 share over the sweep's rows (1: AP rises at every step). */
    public double apRankCorrelation() {
        return Spearman.rho(
                rows.stream().mapToDouble(r -> 1 - r.easyShare()).toArray(),
                rows.stream().mapToDouble(r -> r.metrics().ap()).toArray());
    }

    public boolean apRises() {
        return allRoute2().metrics().ap() > allRoute1().metrics().ap();
    }

    /** The row closest to the 50/50 split. */
    public int halfRow() {
        int half = 0;
        for (int i = 0; i < rows.size(); i++)
            if (Math.abs(rows.get(i).easyShare() - 0.5)
                    < Math.abs(rows.get(half).easyShare() - 0.5)) half = i;
        return half;
    }

    /** The AP of the 50/50 split minus the random router's mean at the same split. */
    public double gainOverRandomAtHalf() {
        return routing.routerAp()[halfRow()] - routing.randomApMean()[halfRow()];
    }

    /** Whether the router's AP is above the random router's mean at every easy share from 10% to 90%. */
    public boolean aboveRandomAtEveryShare() {
        boolean[] above = routing.aboveRandom();
        for (int i = 0; i < above.length; i++) {
            double share = routing.easyShares()[i];
            if (share >= RoutingDiagnostics.SHARE_FROM - 1e-9
                    && share <= RoutingDiagnostics.SHARE_TO + 1e-9
                    && !above[i]) return false;
        }
        return true;
    }

    public boolean timeRises() {
        return allRoute2().msPerImage() > allRoute1().msPerImage();
    }

    public void write() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("ap_rises_with_route2_share", apRises());
        claims.put("ap_rank_correlation_with_route2_share", apRankCorrelation());
        claims.put("ms_rises_with_route2_share", timeRises());
        claims.put("route2_helps_hard_images_more", route2HelpsHardImagesMore());
        claims.put("router_scores_hard_images_lower", router.separates());
        claims.put("router_beats_random_at_50_50", gainOverRandomAtHalf() > 0);
        claims.put("ap_gain_over_random_router_at_50_50", gainOverRandomAtHalf());
        claims.put("router_above_random_at_every_share_10_to_90", aboveRandomAtEveryShare());
        m.put("claims", claims);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("auc", router.auc());
        r.putAll(routing.toJson());
        m.put("routing", r);
        Map<String, Object> rvd = new LinkedHashMap<>(router.toJson());
        rvd.put("mean_route2_ap_contribution_easy", meanRoute2Gain(false));
        rvd.put("mean_route2_ap_contribution_hard", meanRoute2Gain(true));
        m.put("router_vs_difficulty", rvd);
        List<Map<String, Object>> sweep = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>(rows.get(i).toJson());
            row.put("AP_random_mean", routing.randomApMean()[i]);
            row.put("AP_random_sd", routing.randomApSd()[i]);
            row.put("AP_oracle", routing.oracleAp()[i]);
            sweep.add(row);
        }
        m.put("sweep", sweep);
        m.put("annotated_threshold", threshold);
        m.put("annotated_boxes", "confidence >= 0.1, at most 20 per image, most confident first");
        List<Map<String, Object>> imgs = new ArrayList<>();
        for (RoutedImage i : images) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", i.file());
            e.put("score", i.score());
            e.put("route", i.route().number());
            e.put("generated", i.generatedHard() ? "hard" : "easy");
            e.put("route2_ap_contribution", i.route2Gain());
            e.put("detections", i.detections());
            e.put("annotated", i.annotated());
            imgs.add(e);
        }
        m.put("images", imgs);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("images", settings().images());
        s.put("router_images", settings().routerImages());
        s.put("image_size", settings().imageSize());
        s.put("width", settings().width());
        s.put("detector_epochs", settings().detectorEpochs());
        s.put("route2_epochs", settings().route2Epochs());
        s.put("router_epochs", settings().routerEpochs());
        s.put("batch", settings().batch());
        s.put("seed", settings().seed());
        s.put("minutes", settings().minutes());
        m.put("settings", s);
        m.put("model", model().toString());
        m.put("plan", plan());
        m.put("stage_seconds", stageSeconds());
        m.put("total_seconds", totalSeconds());
        ObjectMapper mapper = Json.PRETTY;
        AtomicFile.write(out().resolve("demo.json"), os -> mapper.writeValue(os, m));
    }
}
