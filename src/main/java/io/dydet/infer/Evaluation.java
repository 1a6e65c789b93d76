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
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.Route;
import io.dydet.model.RouterSetting;
import io.dydet.model.ThresholdTable;
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
     * What to evaluate and how, built by name ({@link #builder()} starts from the val command's defaults):
     *
     * <ul>
     * <li>weights: the model file</li>
     * <li>spec: the definition when the weights carry none (an original checkpoint)</li>
     * <li>device: where the model runs</li>
     * <li>backend: libtorch or ONNX Runtime</li>
     * <li>precision: the deploy form's number format</li>
     * <li>imageSize: null: the size stored in the model file</li>
     * <li>batch: images per forward, among images of one shape</li>
     * <li>confidence: the original test.py's confidence threshold</li>
     * <li>iou: the original test.py's NMS IoU threshold</li>
     * <li>router: the router threshold (the original's default 0.5)</li>
     * <li>groundTruth: COCO instances JSON; null: annotations/instances_&lt;split folder&gt;.json beside the images, else the YOLO labels</li>
     * <li>sweep: run both routes once per image and evaluate every easy/hard split</li>
     * <li>randomRouter: with a sweep: a seeded random easiness score per image instead of the router's (the baseline)</li>
     * <li>seed: seed of the random router and of the random draws</li>
     * <li>randomDraws: with a sweep: random routers behind the routing diagnostics (0: none)</li>
     * </ul>
     */
    public static final class Settings {
        private final Path weights;
        private final ModelSpec spec;
        private final Device device;
        private final Backend backend;
        private final Precision precision;
        private final Integer imageSize;
        private final int batch;
        private final float confidence;
        private final float iou;
        private final RouterSetting router;
        private final Path groundTruth;
        private final boolean sweep;
        private final boolean randomRouter;
        private final long seed;
        private final int randomDraws;

        private Settings(Builder b) {
            this.weights = b.weights;
            this.spec = b.spec;
            this.device = b.device;
            this.backend = b.backend;
            this.precision = b.precision;
            this.imageSize = b.imageSize;
            this.batch = b.batch;
            this.confidence = b.confidence;
            this.iou = b.iou;
            this.router = b.router;
            this.groundTruth = b.groundTruth;
            this.sweep = b.sweep;
            this.randomRouter = b.randomRouter;
            this.seed = b.seed;
            this.randomDraws = b.randomDraws;
        }

        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these values, for a copy that differs in a few. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.weights = weights;
            b.spec = spec;
            b.device = device;
            b.backend = backend;
            b.precision = precision;
            b.imageSize = imageSize;
            b.batch = batch;
            b.confidence = confidence;
            b.iou = iou;
            b.router = router;
            b.groundTruth = groundTruth;
            b.sweep = sweep;
            b.randomRouter = randomRouter;
            b.seed = seed;
            b.randomDraws = randomDraws;
            return b;
        }

        public Path weights() {
            return weights;
        }

        public ModelSpec spec() {
            return spec;
        }

        public Device device() {
            return device;
        }

        public Backend backend() {
            return backend;
        }

        public Precision precision() {
            return precision;
        }

        public Integer imageSize() {
            return imageSize;
        }

        public int batch() {
            return batch;
        }

        public float confidence() {
            return confidence;
        }

        public float iou() {
            return iou;
        }

        public RouterSetting router() {
            return router;
        }

        public Path groundTruth() {
            return groundTruth;
        }

        public boolean sweep() {
            return sweep;
        }

        public boolean randomRouter() {
            return randomRouter;
        }

        public long seed() {
            return seed;
        }

        public int randomDraws() {
            return randomDraws;
        }

        public static final class Builder {
            private Path weights;
            private ModelSpec spec;
            private Device device;
            private Backend backend = Backend.TORCH;
            private Precision precision = Precision.FLOAT32;
            private Integer imageSize;
            private int batch = 32;
            private float confidence = 0.001f;
            private float iou = 0.65f;
            private RouterSetting router = new RouterSetting.Threshold(0.5f);
            private Path groundTruth;
            private boolean sweep;
            private boolean randomRouter;
            private long seed;
            private int randomDraws;

            private Builder() {}

            public Builder weights(Path v) {
                this.weights = v;
                return this;
            }

            public Builder spec(ModelSpec v) {
                this.spec = v;
                return this;
            }

            public Builder device(Device v) {
                this.device = v;
                return this;
            }

            public Builder backend(Backend v) {
                this.backend = v;
                return this;
            }

            public Builder precision(Precision v) {
                this.precision = v;
                return this;
            }

            public Builder imageSize(Integer v) {
                this.imageSize = v;
                return this;
            }

            public Builder batch(int v) {
                this.batch = v;
                return this;
            }

            public Builder confidence(float v) {
                this.confidence = v;
                return this;
            }

            public Builder iou(float v) {
                this.iou = v;
                return this;
            }

            public Builder router(RouterSetting v) {
                this.router = v;
                return this;
            }

            public Builder groundTruth(Path v) {
                this.groundTruth = v;
                return this;
            }

            public Builder sweep(boolean v) {
                this.sweep = v;
                return this;
            }

            public Builder randomRouter(boolean v) {
                this.randomRouter = v;
                return this;
            }

            public Builder seed(long v) {
                this.seed = v;
                return this;
            }

            public Builder randomDraws(int v) {
                this.randomDraws = v;
                return this;
            }

            public Settings build() {
                return new Settings(this);
            }
        }
    }

    /** What a run measured, and the run folder it wrote (built by name: too many values for positions). */
    public static final class Report {
        private final Path runDir;
        private final CocoMetrics coco;
        private final DetectionMetrics.Result internal;
        private final CocoGroundTruth truth;
        private final float routerThreshold;
        private final int images;
        private final int unreadable;
        private final int route1;
        private final double gflopsPerImage;
        private final double modelMsPerImage;
        private final Map<String, Object> metrics;
        private final List<Sweep.Row> sweep;
        private final RoutingDiagnostics.Result diagnostics;

        private Report(Builder b) {
            this.runDir = b.runDir;
            this.coco = b.coco;
            this.internal = b.internal;
            this.truth = b.truth;
            this.routerThreshold = b.routerThreshold;
            this.images = b.images;
            this.unreadable = b.unreadable;
            this.route1 = b.route1;
            this.gflopsPerImage = b.gflopsPerImage;
            this.modelMsPerImage = b.modelMsPerImage;
            this.metrics = b.metrics;
            this.sweep = b.sweep;
            this.diagnostics = b.diagnostics;
        }

        public static Builder builder() {
            return new Builder();
        }

        public Path runDir() {
            return runDir;
        }

        public CocoMetrics coco() {
            return coco;
        }

        public DetectionMetrics.Result internal() {
            return internal;
        }

        public CocoGroundTruth truth() {
            return truth;
        }

        public float routerThreshold() {
            return routerThreshold;
        }

        public int images() {
            return images;
        }

        public int unreadable() {
            return unreadable;
        }

        public int route1() {
            return route1;
        }

        public double gflopsPerImage() {
            return gflopsPerImage;
        }

        public double modelMsPerImage() {
            return modelMsPerImage;
        }

        public Map<String, Object> metrics() {
            return metrics;
        }

        public List<Sweep.Row> sweep() {
            return sweep;
        }

        public RoutingDiagnostics.Result diagnostics() {
            return diagnostics;
        }

        public static final class Builder {
            private Path runDir;
            private CocoMetrics coco;
            private DetectionMetrics.Result internal;
            private CocoGroundTruth truth;
            private float routerThreshold;
            private int images;
            private int unreadable;
            private int route1;
            private double gflopsPerImage;
            private double modelMsPerImage;
            private Map<String, Object> metrics;
            private List<Sweep.Row> sweep;
            private RoutingDiagnostics.Result diagnostics;

            private Builder() {}

            public Builder runDir(Path v) {
                this.runDir = v;
                return this;
            }

            public Builder coco(CocoMetrics v) {
                this.coco = v;
                return this;
            }

            public Builder internal(DetectionMetrics.Result v) {
                this.internal = v;
                return this;
            }

            public Builder truth(CocoGroundTruth v) {
                this.truth = v;
                return this;
            }

            public Builder routerThreshold(float v) {
                this.routerThreshold = v;
                return this;
            }

            public Builder images(int v) {
                this.images = v;
                return this;
            }

            public Builder unreadable(int v) {
                this.unreadable = v;
                return this;
            }

            public Builder route1(int v) {
                this.route1 = v;
                return this;
            }

            public Builder gflopsPerImage(double v) {
                this.gflopsPerImage = v;
                return this;
            }

            public Builder modelMsPerImage(double v) {
                this.modelMsPerImage = v;
                return this;
            }

            public Builder metrics(Map<String, Object> v) {
                this.metrics = v;
                return this;
            }

            public Builder sweep(List<Sweep.Row> v) {
                this.sweep = v;
                return this;
            }

            public Builder diagnostics(RoutingDiagnostics.Result v) {
                this.diagnostics = v;
                return this;
            }

            public Report build() {
                return new Report(this);
            }
        }
    }

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

    private Evaluation(
            Settings settings, int imageSize, Path data, DataConfig config, List<Path> images, ModelLoader loader) {
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
    public static Evaluation open(Path data, DataConfig config, List<Path> images, Settings settings)
            throws WeightsException {
        ModelLoader loader = ModelLoader.open(settings.weights(), settings.spec(), settings.device());
        try {
            // the size the model runs at: a W6 model file is evaluated at its 1280, not at 640
            int size = loader.network()
                    .checkImageSize(
                            settings.imageSize() != null
                                    ? settings.imageSize()
                                    : loader.artifact().imageSize());
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
    public Report report(List<Validator.ImageResult> results, Path project, String name, Consumer<String> skipped)
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
        return Report.builder()
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

    private static void writeConfusionMatrix(ConfusionMatrix cm, CocoGroundTruth truth, Path run) throws IOException {
        Map<Integer, String> names = new HashMap<>();
        for (CocoGroundTruth.Category c : truth.categories()) names.put(c.id(), c.name());
        List<String> labels = new ArrayList<>();
        for (int id : cm.categoryIds()) labels.add(names.getOrDefault(id, Integer.toString(id)));
        labels.add("background");
        Plots.heatmap(
                run.resolve("confusion_matrix.png"),
                "Confusion matrix (conf 0.25, IoU 0.45), columns normalised",
                "predicted",
                "true",
                cm.normalisedByTrueClass(),
                labels);
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
                f += 2
                        * c.precisionCurve()[i]
                        * c.recallCurve()[i]
                        / (c.precisionCurve()[i] + c.recallCurve()[i] + 1e-16);
            }
            f1[i] = f / k;
        }
        Plots.line(
                run.resolve("PR_curve.png"),
                String.format("Precision-recall (all classes, IoU 0.5), mAP@.5 %.3f", r.map50()),
                "recall",
                "precision",
                rec,
                p,
                null);
        Plots.line(
                run.resolve("F1_curve.png"),
                "F1 against confidence (mean over classes)",
                "confidence",
                "F1",
                conf,
                f1,
                null);
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
