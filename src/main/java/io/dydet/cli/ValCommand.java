package io.dydet.cli;

import io.dydet.data.DataConfig;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.DetectionMetrics;
import io.dydet.infer.Evaluation;
import io.dydet.infer.EvaluationReport;
import io.dydet.infer.EvaluationSettings;
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Sweep;
import io.dydet.infer.Validator;
import io.dydet.json.Json;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "val",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {
            ExitCodes.SUCCESS,
            ExitCodes.FAILURE,
            ExitCodes.USAGE,
            "3:some images could not be read (skipped and listed on stderr; the metrics cover the others)"
        },
        description = "Evaluate on a data set with the original's test path and COCO metrics equal to pycocotools.")
final class ValCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "D.yaml",
            description = "data set in the original's data YAML format")
    Path data;

    @Option(names = "--split", defaultValue = "val", description = "train, val or test (default ${DEFAULT-VALUE})")
    String split;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description =
                    "image size (default: the model file's, else 640; 1280 for W6; the rect shapes add up to half a stride)")
    Integer img;

    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            defaultValue = "32",
            description = "images per forward, among images of one shape (default ${DEFAULT-VALUE})")
    int batch;

    @Option(
            names = {"--conf", "--conf-thres"},
            paramLabel = "C",
            defaultValue = "0.001",
            description = "confidence threshold (default ${DEFAULT-VALUE})")
    float conf;

    @Option(
            names = {"--iou", "--iou-thres"},
            paramLabel = "I",
            defaultValue = "0.65",
            description = "NMS IoU threshold (default ${DEFAULT-VALUE})")
    float iou;

    @Mixin
    ThresholdOptions threshold;

    @Option(
            names = "--gt",
            paramLabel = "INSTANCES.json",
            description =
                    "COCO ground truth (default: annotations/instances_<split folder>.json next to the images, else the YOLO labels)")
    Path gt;

    @Option(
            names = "--project",
            defaultValue = "runs/val",
            description = "parent of run folders (default ${DEFAULT-VALUE})")
    Path project;

    @Option(names = "--name", defaultValue = "exp", description = "run folder name (default ${DEFAULT-VALUE})")
    String name;

    // the original test.py writes its COCO results file only with --save-json; here predictions.json is always written
    @Option(
            names = "--save-json",
            description =
                    "accepted as in the original test.py: the detections in COCO results format are always written to predictions.json in the run folder")
    boolean saveJson;

    @Option(names = "--json", description = "print the metrics as JSON")
    boolean json;

    @Option(
            names = "--sweep",
            description =
                    "run both routes once per image, then evaluate every easy/hard split (the model's calibrated thresholds, else the 0/10/.../100%% score percentiles): table, sweep.csv, sweep.json, sweep.png, tradeoff.png, routing.json")
    boolean sweep;

    @Option(
            names = "--router",
            defaultValue = "trained",
            description =
                    "with --sweep: 'trained' (the model's router) or 'random' (a seeded random easiness score per image, the baseline a trained router must beat) (default ${DEFAULT-VALUE})")
    String router;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description =
                    "seed of --router random and of the random draws of --random-draws (default ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--random-draws",
            defaultValue = "" + RoutingDiagnostics.DEFAULT_DRAWS,
            paramLabel = "N",
            description =
                    "with --sweep: routing diagnostics from N random routers (AP mean +- sd at each easy share), an oracle and the routing efficacy; "
                            + "costs N full evaluations per row (0: none, else at least 2) (default ${DEFAULT-VALUE})")
    int randomDraws;

    @Override
    public Integer call() throws Exception {
        if (!router.equals("trained") && !router.equals("random"))
            throw new IllegalArgumentException("--router must be 'trained' or 'random', got '" + router + "'");
        if (router.equals("random") && !sweep) throw new IllegalArgumentException("--router random needs --sweep");
        if (randomDraws != 0 && randomDraws < 2)
            throw new IllegalArgumentException(
                    "--random-draws must be 0 (no routing diagnostics) or at least 2, got " + randomDraws);
        DataConfig dc = DataConfig.load(data);
        List<Path> images = dc.images(split);
        modelOptions.requireWeights();
        EvaluationSettings settings = EvaluationSettings.builder()
                .weights(modelOptions.weights)
                .spec(modelOptions.spec())
                .device(runtime.start())
                .backend(backend.get())
                .precision(backend.precision())
                .imageSize(img)
                .batch(batch)
                .confidence(conf)
                .iou(iou)
                .router(threshold.setting())
                .groundTruth(gt)
                .sweep(sweep)
                .randomRouter(router.equals("random"))
                .seed(seed)
                .randomDraws(randomDraws)
                .build();
        try (Evaluation evaluation = Evaluation.open(data, dc, images, settings)) {
            ProgressBar bar = new ProgressBar("val", images.size());
            List<Validator.ImageResult> results = evaluation.evaluate((d, t) -> bar.update(d));
            bar.finish();
            EvaluationReport r =
                    evaluation.report(results, project, name, skipped -> System.err.println("skipped " + skipped));
            if (r.sweep() != null && !json) printSweep(r.sweep(), r.diagnostics());
            if (json) {
                System.out.println(Json.PRETTY.writeValueAsString(r.metrics()));
            } else {
                System.out.println(r.coco().summary());
                printClassTable(r.internal(), r.truth());
                int ok = r.images(), easy = r.route1();
                System.out.printf(
                        "%d images at dy-thres %.3f: route 1 %.1f%%, route 2 %.1f%%, %.1f GFLOPs/image, model %.1f ms/image%n",
                        ok,
                        r.routerThreshold(),
                        100.0 * easy / ok,
                        100.0 * (ok - easy) / ok,
                        r.gflopsPerImage(),
                        r.modelMsPerImage());
                System.out.println("results in " + r.runDir()
                        + " (predictions.json, metrics.json, PR_curve.png, F1_curve.png, confusion_matrix.png"
                        + (sweep ? ", sweep.csv/json/png, tradeoff.png" : "")
                        + (sweep && randomDraws > 0 ? ", routing.json)" : ")"));
            }
            return r.unreadable() > 0 ? 3 : 0;
        }
    }

    /** The trade-off table; with diagnostics also the random router's AP (mean +- sd), the oracle's and the routing efficacy. */
    static void printSweep(List<Sweep.Row> rows, RoutingDiagnostics.Result d) {
        System.out.printf(
                "%n%-10s %6s %6s %9s %8s %8s %8s", "threshold", "easy%", "hard%", "GFLOPs", "ms/img", "AP", "AP50");
        System.out.println(d == null ? "" : String.format(" %20s %8s", "random (mean +- sd)", "oracle"));
        boolean[] above = d == null ? null : d.aboveRandom();
        for (int i = 0; i < rows.size(); i++) {
            Sweep.Row r = rows.get(i);
            System.out.printf(
                    "%-10.5f %6.1f %6.1f %9.2f %8.1f %8.4f %8.4f",
                    r.threshold(),
                    100 * r.easyShare(),
                    100 * (1 - r.easyShare()),
                    r.gflops(),
                    r.msPerImage(),
                    r.metrics().ap(),
                    r.metrics().ap50());
            // '>' marks a row where the router beats the random mean
            System.out.println(
                    d == null
                            ? ""
                            : String.format(
                                    " %s %8.4f +- %6.4f %8.4f",
                                    above[i] ? ">" : " ", d.randomApMean()[i], d.randomApSd()[i], d.oracleAp()[i]));
        }
        if (d == null) return;
        System.out.printf(
                "random: %d draws; oracle: %s; '>': router AP above the random mean%n", d.draws(), d.oracleCriterion());
        System.out.println(
                d.efficacyDefined()
                        ? String.format("routing efficacy: %.3f (1 = oracle, 0 = random)", d.efficacy())
                        : "routing efficacy: " + d.efficacyNote() + " (1 = oracle, 0 = random)");
    }

    private static void printClassTable(DetectionMetrics.Result r, CocoGroundTruth truth) {
        Map<Integer, String> names = new HashMap<>();
        for (CocoGroundTruth.Category c : truth.categories()) names.put(c.id(), c.name());
        System.out.printf(
                "%n%-20s %7s %8s %7s %7s %9s %12s%n", "class", "images", "targets", "P", "R", "mAP@.5", "mAP@.5:.95");
        System.out.printf(
                "%-20s %7d %8d %7.3f %7.3f %9.3f %12.3f%n",
                "all", r.images(), r.targets(), r.precision(), r.recall(), r.map50(), r.map());
        for (DetectionMetrics.ClassResult c : r.classes()) {
            String n = names.getOrDefault(c.categoryId(), Integer.toString(c.categoryId()));
            System.out.printf(
                    "%-20s %7s %8d %7.3f %7.3f %9.3f %12.3f%n",
                    n.length() > 20 ? n.substring(0, 20) : n,
                    "",
                    c.targets(),
                    c.precision(),
                    c.recall(),
                    c.ap50(),
                    c.ap());
        }
    }
}
