package io.dydet.infer;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.DataConfig;
import io.dydet.data.Images;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import io.dydet.eval.ConfusionMatrix;
import io.dydet.eval.DetectionMetrics;
import io.dydet.eval.NmsOptions;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.Route;
import io.dydet.model.RouterSetting;
import io.dydet.model.ThresholdTable;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.runs.Plots;
import io.dydet.runs.RunDir;
import io.dydet.weights.WeightsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A model evaluated on a data set as {@code dydet val} runs it: the original's test path ({@link Validator}), COCO
 * metrics equal to pycocotools beside the internal AP, and a run folder with predictions.json, metrics.json, the PR
 * and F1 curves and the confusion matrix; with a sweep also the easy/hard trade-off and the routing diagnostics.
 * Steps: {@link #open} (model loaded and checked against the data), {@link #evaluate}, {@link #report}.
 */
public final class Evaluation implements AutoCloseable {
    /**
     * What to evaluate and how.
     *
     * @param imageSize   null: the size stored in the model file
     * @param groundTruth COCO instances JSON; null: annotations/instances_&lt;split folder&gt;.json beside the images, else the YOLO labels
     * @param sweep run both routes once per image and evaluate every easy/hard split
     * @param randomRouter with a sweep: a seeded random easiness score per image instead of the router's (the baseline)
     * @param randomDraws with a sweep: random routers behind the routing diagnostics (0: none)
     */
    public record Settings(Path weights, ModelSpec spec, Device device, Backend backend, Precision precision, Integer imageSize, int batch,
                           float confidence, float iou, RouterSetting router, Path groundTruth, boolean sweep, boolean randomRouter, long seed,
                           int randomDraws) {}

    /** What a run measured, and the run folder it wrote. */
    public record Report(Path runDir, CocoMetrics coco, DetectionMetrics.Result internal, CocoGroundTruth truth, float routerThreshold,
                         int images, int unreadable, int route1, double gflopsPerImage, double modelMsPerImage, Map<String, Object> metrics,
                         List<Sweep.Row> sweep, RoutingDiagnostics.Result diagnostics) {}

    private final Settings settings;
    private final Path data;
    private final DataConfig config;
    private final List<Path> images;
    private final ModelLoader loader;
    /** The deploy form's network: its GFLOPs are the ones reported. */
    private final Network network;
    private final float routerThreshold;
    private final Path groundTruth;
    private final boolean coco;
    private final int imageSize;

    private Evaluation(Settings settings, int imageSize, Path data, DataConfig config, List<Path> images, ModelLoader loader) {
        this.settings = settings;
        this.imageSize = imageSize;
        this.data = data;
        this.config = config;
        this.images = images;
        this.loader = loader;
        this.network = loader.model().network();
        this.routerThreshold = loader.routerThreshold(settings.router());
        this.groundTruth = settings.groundTruth() != null ? settings.groundTruth() : defaultGroundTruth(images);
        // COCO's 80 classes are written with the 91 category ids of its annotations
        this.coco = groundTruth != null && config.nc() == 80;
    }

    /** Loads the model (the engine started) and checks it against the data set: image size, number of classes. */
    public static Evaluation open(Path data, DataConfig config, List<Path> images, Settings settings) throws WeightsException {
        ModelLoader loader = ModelLoader.open(settings.weights(), settings.spec(), settings.device());
        try {
            // the size the model runs at: a W6 model file is evaluated at its 1280, not at 640
            int size = loader.network().checkImageSize(settings.imageSize() != null ? settings.imageSize() : loader.artifact().imageSize());
            if (loader.network().classes() != config.nc()) {
                throw new IllegalArgumentException(data + " has nc " + config.nc() + " but the model has " + loader.network().classes() + " classes");
            }
            loader.deploy(settings.precision(), settings.backend(), true);
            return new Evaluation(settings, size, data, config, images, loader);
        } catch (RuntimeException e) {
            loader.close();
            throw e;
        }
    }

    public float routerThreshold() {
        return routerThreshold;
    }

    /**
     * Runs the model over the images and frees it.
     *
     * @param progress called with (images done, total): (0, total) first, when the work starts
     */
    public List<Validator.ImageResult> evaluate(BiConsumer<Integer, Integer> progress) {
        Validator.Options o = new Validator.Options(imageSize, routerThreshold, NmsOptions.forEval(settings.confidence(), settings.iou()),
                settings.batch(), Images.DEFAULT_PIXEL_LIMIT, settings.sweep());
        try {
            return Validator.run(loader.model(), images, o, coco ? ClassNames.COCO80_TO_91 : null, progress);
        } finally {
            loader.close();
        }
    }

    /**
     * Scores the results and writes the run folder.
     *
     * @param skipped told each image that could not be evaluated ("file: why")
     * @throws IllegalArgumentException when no image could be evaluated
     */
    public Report report(List<Validator.ImageResult> results, Path project, String name, Consumer<String> skipped) throws IOException {
        CocoGroundTruth truth = groundTruth != null ? CocoGroundTruth.read(groundTruth) : YoloGroundTruth.build(images, config.nc(), config.names());
        List<CocoDetection> dets = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        int easy = 0, ok = 0, failed = 0;
        double gflops = 0, ms = 0;
        for (Validator.ImageResult r : results) {
            if (r.error() != null) {
                failed++;
                skipped.accept(r.file() + ": " + r.error());
                continue;
            }
            ok++;
            ids.add(r.imageId());
            dets.addAll(r.detections());
            if (r.route() == Route.ROUTE1) easy++;
            gflops += network.gflops(r.route(), r.letterbox().paddedHeight(), r.letterbox().paddedWidth());
            ms += r.modelMs();
        }
        if (ok == 0) throw new IllegalArgumentException("no image of " + data + " could be evaluated");
        CocoMetrics m = CocoEvaluator.evaluate(truth, dets, ids);
        DetectionMetrics.Result internal = DetectionMetrics.compute(truth, dets, ids);
        Path run = RunDir.create(project, name);
        writeCurves(internal, run);
        writeConfusionMatrix(ConfusionMatrix.compute(truth, dets, ids, 0.25, 0.45), truth, run);
        ObjectMapper mapper = Json.PRETTY;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (CocoDetection d : dets) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("image_id", d.imageId());
            row.put("category_id", d.categoryId());
            row.put("bbox", new double[] {d.x(), d.y(), d.width(), d.height()});
            row.put("score", d.score());
            rows.add(row);
        }
        AtomicFile.write(run.resolve("predictions.json"), out -> mapper.writeValue(out, rows));
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = new LinkedHashMap<>(mapper.readValue(m.toJson(), Map.class));
        metrics.put("internal", internal.toJson());
        metrics.put("dy_thres", routerThreshold);
        metrics.put("images", ok);
        metrics.put("unreadable", failed);
        metrics.put("route1_share", (double) easy / ok);
        metrics.put("gflops_per_image", gflops / ok);
        metrics.put("model_ms_per_image", ms / ok);
        AtomicFile.write(run.resolve("metrics.json"), out -> mapper.writeValue(out, metrics));
        List<Sweep.Row> sweep = null;
        RoutingDiagnostics.Result diagnostics = null;
        if (settings.sweep()) {
            // a random router gets the same diagnostics: its efficacy near 0 shows the measurement is unbiased
            List<Validator.ImageResult> routed = settings.randomRouter() ? Sweep.withRandomScores(results, settings.seed()) : results;
            sweep = Sweep.run(routed, truth, sweepThresholds(routed, settings.randomRouter() ? null : loader.artifact().thresholds()));
            if (settings.randomDraws() > 0) diagnostics = RoutingDiagnostics.compute(routed, truth, sweep, settings.randomDraws(), settings.seed());
            SweepFiles.write(run, sweep, diagnostics);
        }
        return new Report(run, m, internal, truth, routerThreshold, ok, failed, easy, gflops / ok, ms / ok, metrics, sweep, diagnostics);
    }

    /** The model's calibrated thresholds when it has them, else the percentiles of these scores. */
    private static double[] sweepThresholds(List<Validator.ImageResult> results, ThresholdTable calibration) {
        if (calibration != null) return calibration.entries().stream().mapToDouble(ThresholdTable.Entry::threshold).toArray();
        List<Float> list = new ArrayList<>();
        for (Validator.ImageResult r : results) if (r.error() == null) list.add(r.routerScore());
        float[] scores = new float[list.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = list.get(i);
        return Sweep.percentileThresholds(scores);
    }

    private static void writeConfusionMatrix(ConfusionMatrix cm, CocoGroundTruth truth, Path run) throws IOException {
        Map<Integer, String> names = new HashMap<>();
        for (CocoGroundTruth.Category c : truth.categories()) names.put(c.id(), c.name());
        List<String> labels = new ArrayList<>();
        for (int id : cm.categoryIds()) labels.add(names.getOrDefault(id, Integer.toString(id)));
        labels.add("background");
        Plots.heatmap(run.resolve("confusion_matrix.png"), "Confusion matrix (conf 0.25, IoU 0.45), columns normalised",
                "predicted", "true", cm.normalisedByTrueClass(), labels);
    }

    /** PR curve and F1 curve (means over classes, IoU 0.5) as PNGs. */
    private static void writeCurves(DetectionMetrics.Result r, Path run) throws IOException {
        int g = DetectionMetrics.GRID;
        double[] conf = new double[g], p = new double[g], rec = new double[g], f1 = new double[g];
        int k = Math.max(1, r.classes().size());
        for (int i = 0; i < g; i++) {
            conf[i] = (double) i / (g - 1);
            double f = 0;
            for (DetectionMetrics.ClassResult c : r.classes()) {
                p[i] += c.precisionCurve()[i] / k;
                rec[i] += c.recallCurve()[i] / k;
                f += 2 * c.precisionCurve()[i] * c.recallCurve()[i] / (c.precisionCurve()[i] + c.recallCurve()[i] + 1e-16);
            }
            f1[i] = f / k;
        }
        Plots.line(run.resolve("PR_curve.png"), String.format("Precision-recall (all classes, IoU 0.5), mAP@.5 %.3f", r.map50()),
                "recall", "precision", rec, p, null);
        Plots.line(run.resolve("F1_curve.png"), "F1 against confidence (mean over classes)", "confidence", "F1", conf, f1, null);
    }

    /** annotations/instances_&lt;folder&gt;.json beside the images folder, as COCO-style data sets lay it out. */
    static Path defaultGroundTruth(List<Path> images) {
        Path dir = images.get(0).toAbsolutePath().getParent();
        Path imagesRoot = dir.getParent();
        if (imagesRoot == null || imagesRoot.getParent() == null) return null;
        Path p = imagesRoot.getParent().resolve("annotations").resolve("instances_" + dir.getFileName() + ".json");
        return Files.isRegularFile(p) ? p : null;
    }

    @Override
    public void close() {
        loader.close();
    }
}
