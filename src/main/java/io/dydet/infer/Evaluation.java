package io.dydet.infer;

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
import io.dydet.model.Network;
import io.dydet.model.Route;
import io.dydet.model.ThresholdTable;
import io.dydet.runs.RunDir;
import io.dydet.weights.WeightsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    private final EvaluationSettings settings;
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

    private Evaluation(
            EvaluationSettings settings,
            int imageSize,
            Path data,
            DataConfig config,
            List<Path> images,
            ModelLoader loader) {
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
    public static Evaluation open(Path data, DataConfig config, List<Path> images, EvaluationSettings settings)
            throws WeightsException {
        ModelLoader loader = ModelLoader.open(settings.weights(), settings.spec(), settings.device());
        try {
            int size = loader.imageSize(settings.imageSize());
            if (loader.network().classes() != config.nc()) {
                throw new IllegalArgumentException(data + " has nc " + config.nc() + " but the model has "
                        + loader.network().classes() + " classes");
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
        Validator.Options o = new Validator.Options(
                imageSize,
                routerThreshold,
                NmsOptions.forEval(settings.confidence(), settings.iou()),
                settings.batch(),
                Images.DEFAULT_PIXEL_LIMIT,
                settings.sweep());
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
    public EvaluationReport report(
            List<Validator.ImageResult> results, Path project, String name, Consumer<String> skipped)
            throws IOException {
        CocoGroundTruth truth = groundTruth != null
                ? CocoGroundTruth.read(groundTruth)
                : YoloGroundTruth.build(images, config.nc(), config.names());
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
            gflops += network.gflops(
                    r.route(), r.letterbox().paddedHeight(), r.letterbox().paddedWidth());
            ms += r.modelMs();
        }
        if (ok == 0) throw new IllegalArgumentException("no image of " + data + " could be evaluated");
        CocoMetrics m = CocoEvaluator.evaluate(truth, dets, ids);
        DetectionMetrics.Result internal = DetectionMetrics.compute(truth, dets, ids);
        Path run = RunDir.create(project, name);
        EvaluationFiles.writeCurves(internal, run);
        EvaluationFiles.writeConfusionMatrix(ConfusionMatrix.compute(truth, dets, ids, 0.25, 0.45), truth, run);
        EvaluationFiles.writePredictions(run, dets);
        Map<String, Object> metrics = EvaluationFiles.metrics(m, internal);
        metrics.put("dy_thres", routerThreshold);
        metrics.put("images", ok);
        metrics.put("unreadable", failed);
        metrics.put("route1_share", (double) easy / ok);
        metrics.put("gflops_per_image", gflops / ok);
        metrics.put("model_ms_per_image", ms / ok);
        EvaluationFiles.writeMetrics(run, metrics);
        List<Sweep.Row> sweep = null;
        RoutingDiagnostics.Result diagnostics = null;
        if (settings.sweep()) {
            // a random router gets the same diagnostics: its efficacy near 0 shows the measurement is unbiased
            List<Validator.ImageResult> routed =
                    settings.randomRouter() ? Sweep.withRandomScores(results, settings.seed()) : results;
            sweep = Sweep.run(
                    routed,
                    truth,
                    sweepThresholds(
                            routed,
                            settings.randomRouter() ? null : loader.artifact().thresholds()));
            if (settings.randomDraws() > 0)
                diagnostics = RoutingDiagnostics.compute(routed, truth, sweep, settings.randomDraws(), settings.seed());
            SweepFiles.write(run, sweep, diagnostics);
        }
        return EvaluationReport.builder()
                .runDir(run)
                .coco(m)
                .internal(internal)
                .truth(truth)
                .routerThreshold(routerThreshold)
                .images(ok)
                .unreadable(failed)
                .route1(easy)
                .gflopsPerImage(gflops / ok)
                .modelMsPerImage(ms / ok)
                .metrics(metrics)
                .sweep(sweep)
                .diagnostics(diagnostics)
                .build();
    }

    /** The model's calibrated thresholds when it has them, else the percentiles of these scores. */
    private static double[] sweepThresholds(List<Validator.ImageResult> results, ThresholdTable calibration) {
        if (calibration != null)
            return calibration.entries().stream()
                    .mapToDouble(ThresholdTable.Entry::threshold)
                    .toArray();
        List<Float> list = new ArrayList<>();
        for (Validator.ImageResult r : results) if (r.error() == null) list.add(r.routerScore());
        float[] scores = new float[list.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = list.get(i);
        return Sweep.percentileThresholds(scores);
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
