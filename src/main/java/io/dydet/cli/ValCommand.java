package io.dydet.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
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
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Sweep;
import io.dydet.infer.SweepFiles;
import io.dydet.infer.Validator;
import io.dydet.infer.YoloGroundTruth;
import io.dydet.json.Json;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelFiles;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.model.ThresholdTable;
import io.dydet.runs.Plots;
import io.dydet.runs.RunDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "val", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:success", "1:failure (a bad input file, model or setting, or an engine error; the message says which)", "2:usage error (unknown option or invalid value)", "3:some images could not be read (skipped and listed on stderr; the metrics cover the others)"},
        description = "Evaluate on a data set with the original's test path and COCO metrics equal to pycocotools.")
final class ValCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Mixin RuntimeOptions runtime;
    @Mixin BackendOption backend;

    @Option(names = "--data", required = true, paramLabel = "D.yaml", description = "data set in the original's data YAML format")
    Path data;

    @Option(names = "--split", defaultValue = "val", description = "train, val or test (default ${DEFAULT-VALUE})")
    String split;

    @Option(names = {"--img", "--img-size"}, paramLabel = "N", description = "image size (default: the model file's, else 640; 1280 for W6; the rect shapes add up to half a stride)")
    Integer img;

    @Option(names = {"--batch", "--batch-size"}, paramLabel = "N", defaultValue = "32", description = "images per forward, among images of one shape (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"--conf", "--conf-thres"}, paramLabel = "C", defaultValue = "0.001", description = "confidence threshold (default ${DEFAULT-VALUE})")
    float conf;

    @Option(names = {"--iou", "--iou-thres"}, paramLabel = "I", defaultValue = "0.65", description = "NMS IoU threshold (default ${DEFAULT-VALUE})")
    float iou;

    @Mixin ThresholdOptions threshold;

    @Option(names = "--gt", paramLabel = "INSTANCES.json", description = "COCO ground truth (default: annotations/instances_<split folder>.json next to the images, else the YOLO labels)")
    Path gt;

    @Option(names = "--project", defaultValue = "runs/val", description = "parent of run folders (default ${DEFAULT-VALUE})")
    Path project;

    @Option(names = "--name", defaultValue = "exp", description = "run folder name (default ${DEFAULT-VALUE})")
    String name;

    // the original test.py writes its COCO results file only with --save-json; here predictions.json is always written
    @Option(names = "--save-json", description = "accepted as in the original test.py: the detections in COCO results format are always written to predictions.json in the run folder")
    boolean saveJson;

    @Option(names = "--json", description = "print the metrics as JSON")
    boolean json;

    @Option(names = "--sweep", description = "run both routes once per image, then evaluate every easy/hard split (the model's calibrated thresholds, else the 0/10/.../100%% score percentiles): table, sweep.csv, sweep.json, sweep.png, tradeoff.png, routing.json")
    boolean sweep;

    @Option(names = "--router", defaultValue = "trained", description = "with --sweep: 'trained' (the model's router) or 'random' (a seeded random easiness score per image, the baseline a trained router must beat) (default ${DEFAULT-VALUE})")
    String router;

    @Option(names = "--seed", defaultValue = "0", description = "seed of --router random and of the random draws of --random-draws (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--random-draws", defaultValue = "" + RoutingDiagnostics.DEFAULT_DRAWS, paramLabel = "N",
            description = "with --sweep: routing diagnostics from N random routers (AP mean +- sd at each easy share), an oracle and the routing efficacy; "
                    + "costs N full evaluations per row (0: none, else at least 2) (default ${DEFAULT-VALUE})")
    int randomDraws;

    @Override
    public Integer call() throws Exception {
        if (!router.equals("trained") && !router.equals("random")) throw new IllegalArgumentException("--router must be 'trained' or 'random', got '" + router + "'");
        if (router.equals("random") && !sweep) throw new IllegalArgumentException("--router random needs --sweep");
        if (randomDraws != 0 && randomDraws < 2) throw new IllegalArgumentException("--random-draws must be 0 (no routing diagnostics) or at least 2, got " + randomDraws);
        DataConfig dc = DataConfig.load(data);
        List<Path> images = dc.images(split);
        modelOptions.requireWeights();
        Device device = runtime.start();
        try (NDManager root = NDManager.newBaseManager(device)) {
            ModelFiles.Loaded loaded = ModelFiles.open(modelOptions.weights, modelOptions.spec(), root.newSubManager());
            int img = loaded.model().network().checkImageSize(this.img != null ? this.img : loaded.artifact().imageSize());
            if (loaded.model().network().classes() != dc.nc()) {
                throw new IllegalArgumentException(data + " has nc " + dc.nc() + " but the model has " + loaded.model().network().classes() + " classes");
            }
            RoutedModel model = backend.resolve(root.getDevice()).open(loaded.model().fuse(root.newSubManager(), backend.precision()));
            float dyThres = threshold.setting().resolve(loaded.artifact(), modelOptions.weights.toString());
            Path gtFile = gt != null ? gt : defaultGroundTruth(images);
            boolean coco = gtFile != null && dc.nc() == 80;
            Validator.Options o = new Validator.Options(img, dyThres, new NmsOptions(conf, iou, true, false, null, 300, 30000), batch,
                    Images.DEFAULT_PIXEL_LIMIT, sweep);
            ProgressBar bar = new ProgressBar("val", images.size());
            List<Validator.ImageResult> results;
            try (model) {
                results = Validator.run(model, images, o, coco ? ClassNames.COCO80_TO_91 : null, (d, t) -> bar.update(d));
            }
            bar.finish();
            CocoGroundTruth truth = gtFile != null ? CocoGroundTruth.read(gtFile) : YoloGroundTruth.build(images, dc.nc(), dc.names());
            List<CocoDetection> dets = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            int easy = 0, ok = 0, failed = 0;
            double gflops = 0, ms = 0;
            for (Validator.ImageResult r : results) {
                if (r.error() != null) {
                    failed++;
                    System.err.println("skipped " + r.file() + ": " + r.error());
                    continue;
                }
                ok++;
                ids.add(r.imageId());
                dets.addAll(r.detections());
                if (r.route() == Route.EASY) easy++;
                gflops += model.network().gflops(r.route(), r.letterbox().paddedHeight(), r.letterbox().paddedWidth());
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
            Map<String, Object> metrics = new LinkedHashMap<>(mapper.readValue(m.toJson(), Map.class));
            metrics.put("internal", internal.toJson());
            metrics.put("dy_thres", dyThres);
            metrics.put("images", ok);
            metrics.put("unreadable", failed);
            metrics.put("route1_share", (double) easy / ok);
            metrics.put("gflops_per_image", gflops / ok);
            metrics.put("model_ms_per_image", ms / ok);
            AtomicFile.write(run.resolve("metrics.json"), out -> mapper.writeValue(out, metrics));
            // --router random gets the same diagnostics: its efficacy near 0 shows the measurement is unbiased
            if (sweep && router.equals("random")) {
                writeSweep(Sweep.withRandomScores(results, seed), truth, run, null, !json);
            } else if (sweep) {
                writeSweep(results, truth, run, loaded.artifact().thresholds(), !json);
            }
            if (json) {
                System.out.println(mapper.writeValueAsString(metrics));
            } else {
                System.out.println(m.summary());
                printClassTable(internal, truth, dc);
                System.out.printf("%d images at dy-thres %.3f: route 1 %.1f%%, route 2 %.1f%%, %.1f GFLOPs/image, model %.1f ms/image%n",
                        ok, dyThres, 100.0 * easy / ok, 100.0 * (ok - easy) / ok, gflops / ok, ms / ok);
                System.out.println("results in " + run + " (predictions.json, metrics.json, PR_curve.png, F1_curve.png, confusion_matrix.png" + (sweep ? ", sweep.csv/json/png, tradeoff.png" : "") + (sweep && randomDraws > 0 ? ", routing.json)" : ")"));
            }
            return failed > 0 ? 3 : 0;
        }
    }

    /** Thresholds from the model's calibration when it has one, else the percentiles of these scores. */
    private void writeSweep(List<Validator.ImageResult> results, CocoGroundTruth truth, Path run, ThresholdTable calibration, boolean print) throws Exception {
        List<Float> list = new ArrayList<>();
        for (Validator.ImageResult r : results) if (r.error() == null) list.add(r.routerScore());
        float[] scores = new float[list.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = list.get(i);
        double[] thresholds = calibration != null
                ? calibration.entries().stream().mapToDouble(ThresholdTable.Entry::threshold).toArray()
                : Sweep.percentileThresholds(scores);
        List<Sweep.Row> rows = Sweep.run(results, truth, thresholds);
        RoutingDiagnostics.Result diagnostics = randomDraws > 0 ? RoutingDiagnostics.compute(results, truth, rows, randomDraws, seed) : null;
        SweepFiles.write(run, rows, diagnostics);
        if (print) printSweep(rows, diagnostics);
    }

    /** The trade-off table; with diagnostics also the random router's AP (mean +- sd), the oracle's and the routing efficacy. */
    static void printSweep(List<Sweep.Row> rows, RoutingDiagnostics.Result d) {
        System.out.printf("%n%-10s %6s %6s %9s %8s %8s %8s", "threshold", "easy%", "hard%", "GFLOPs", "ms/img", "AP", "AP50");
        System.out.println(d == null ? "" : String.format(" %20s %8s", "random (mean +- sd)", "oracle"));
        boolean[] above = d == null ? null : d.aboveRandom();
        for (int i = 0; i < rows.size(); i++) {
            Sweep.Row r = rows.get(i);
            System.out.printf("%-10.5f %6.1f %6.1f %9.2f %8.1f %8.4f %8.4f", r.threshold(), 100 * r.easyShare(), 100 * (1 - r.easyShare()),
                    r.gflops(), r.msPerImage(), r.metrics().ap(), r.metrics().ap50());
            // '>' marks a row where the router beats the random mean
            System.out.println(d == null ? "" : String.format(" %s %8.4f +- %6.4f %8.4f", above[i] ? ">" : " ", d.randomApMean()[i], d.randomApSd()[i], d.oracleAp()[i]));
        }
        if (d == null) return;
        System.out.printf("random: %d draws; oracle: %s; '>': router AP above the random mean%n", d.draws(), d.oracleCriterion());
        System.out.println(d.efficacyDefined()
                ? String.format("routing efficacy: %.3f (1 = oracle, 0 = random)", d.efficacy())
                : "routing efficacy: " + d.efficacyNote() + " (1 = oracle, 0 = random)");
    }

    private static void printClassTable(DetectionMetrics.Result r, CocoGroundTruth truth, DataConfig dc) {
        Map<Integer, String> names = new HashMap<>();
        for (CocoGroundTruth.Category c : truth.categories()) names.put(c.id(), c.name());
        System.out.printf("%n%-20s %7s %8s %7s %7s %9s %12s%n", "class", "images", "targets", "P", "R", "mAP@.5", "mAP@.5:.95");
        System.out.printf("%-20s %7d %8d %7.3f %7.3f %9.3f %12.3f%n", "all", r.images(), r.targets(), r.precision(), r.recall(), r.map50(), r.map());
        for (DetectionMetrics.ClassResult c : r.classes()) {
            String n = names.getOrDefault(c.categoryId(), Integer.toString(c.categoryId()));
            System.out.printf("%-20s %7s %8d %7.3f %7.3f %9.3f %12.3f%n", n.length() > 20 ? n.substring(0, 20) : n, "", c.targets(),
                    c.precision(), c.recall(), c.ap50(), c.ap());
        }
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

    /** annotations/instances_<folder>.json beside the images folder, as COCO-style data sets lay it out. */
    static Path defaultGroundTruth(List<Path> images) {
        Path dir = images.get(0).toAbsolutePath().getParent();
        Path imagesRoot = dir.getParent();
        if (imagesRoot == null || imagesRoot.getParent() == null) return null;
        Path p = imagesRoot.getParent().resolve("annotations").resolve("instances_" + dir.getFileName() + ".json");
        return Files.isRegularFile(p) ? p : null;
    }
}
