package io.dydet.demo;

import io.dydet.box.Box;
import io.dydet.data.DataConfig;
import io.dydet.data.Difficulty;
import io.dydet.data.Hyperparameters;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.data.demo.DemoDataGenerator;
import io.dydet.engine.Devices;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.NmsOptions;
import io.dydet.files.AtomicFile;
import io.dydet.infer.Annotator;
import io.dydet.infer.Calibrator;
import io.dydet.infer.Detection;
import io.dydet.infer.ImageDetections;
import io.dydet.infer.ModelLoader;
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Sweep;
import io.dydet.infer.SweepFiles;
import io.dydet.infer.Validator;
import io.dydet.infer.YoloGroundTruth;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.Route;
import io.dydet.model.ThresholdTable;
import io.dydet.runs.Plots;
import io.dydet.train.EpochResult;
import io.dydet.train.ForwardingTrainListener;
import io.dydet.train.RouterCriterion;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainArgsBuilder;
import io.dydet.train.Trainer;
import io.dydet.train.TrainingStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * DynamicDet end to end on synthetic data: generate easy and hard scenes, train the cascaded detector (step 1),
 * train the router on the frozen detector (step 2), calibrate thresholds, sweep the accuracy/speed trade-off, and
 * report whether the router sends the images the generator made hard to the second route.
 *
 * <p>The run folder gets: data/ (the data set, YOLO format), train/ and train-router/ (the two training runs),
 * model.safetensors (calibrated), sweep.csv/json/png and tradeoff.png, annotated/easy and annotated/hard
 * (validation images at the 50/50 threshold, with routes.json), router_vs_difficulty.png, and demo.json.
 */
public final class DemoPipeline {
    private static final int STAGES = 7;
    /** Operating point of the annotated images: half the validation images take route 1. */
    private static final double ANNOTATED_EASY_SHARE = 0.5;
    /**
     * Boxes drawn on the annotated images: at least this confident, the most confident first, at most
     * {@link #DRAW_MAX} (the sweep itself evaluates from confidence 0.001). A few minutes of training leave the
     * confidences low, hence the low bar.
     */
    private static final float DRAW_CONFIDENCE = 0.1f;

    private static final int DRAW_MAX = 20;
    /** Annotated images are drawn at least this large, so that labels stay readable on the demo's small images. */
    private static final int DRAW_SIDE = 384;

    private final DemoSettings settings;
    private final DemoListener listener;
    private final long started = System.nanoTime();
    private final Map<String, Double> stageSeconds = new LinkedHashMap<>();
    private DemoPlan plan;

    private DemoPipeline(DemoSettings settings, DemoListener listener) {
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * Runs every stage into {@code settings.out()}, which must be new or empty.
     *
     * @throws DemoBudgetException when, after a training epoch, the estimated total exceeds the budget
     */
    public static DemoReport run(DemoSettings settings, DemoListener listener) throws IOException {
        return new DemoPipeline(settings, listener).run();
    }

    private DemoReport run() throws IOException {
        Path out = settings.out().toAbsolutePath();
        if (Files.exists(out)) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent())
                    throw new IOException(out + " is not empty; give the demo a new folder (--out)");
            }
        }
        Files.createDirectories(out);

        listener.stage(1, STAGES, "generate " + settings.images() + " synthetic images (easy and hard scenes)");
        long t = System.nanoTime();
        DemoDataGenerator.Summary data = new DemoDataGenerator(settings.imageSize(), settings.seed())
                .write(out.resolve("data"), settings.images(), settings.routerImages());
        Path hyp = out.resolve("hyp.demo.yaml");
        AtomicFile.writeString(hyp, demoHyperparameters().toYaml());
        lap("data", t);
        plan = new DemoPlan(
                settings.detectorEpochs(),
                settings.route2Epochs(),
                settings.routerEpochs(),
                (double) (data.routerImages() > 0 ? data.routerImages() : data.trainImages()) / data.trainImages());

        listener.stage(
                2,
                STAGES,
                "train the cascaded detector (step 1): dy-yolov7 at width " + settings.width() + ", "
                        + settings.detectorEpochs() + " epochs at " + settings.imageSize() + " px");
        t = System.nanoTime();
        Path step1 = train(detectorArgs(data.dataYaml(), hyp), out.resolve("train"), data.trainImages());
        lap("train_detector", t);

        listener.stage(3, STAGES, "train route 2 alone, route 1 frozen: " + plan.epochs(Trainer.ROUTE2) + " epochs");
        t = System.nanoTime();
        if (plan.epochs(Trainer.ROUTE2) > 0)
            step1 = train(route2Args(data.dataYaml(), hyp, step1), out.resolve("train-route2"), data.trainImages());
        lap("train_route2", t);

        listener.stage(
                4,
                STAGES,
                "train the router on the frozen detector (step 2): " + plan.epochs(Trainer.STEP2) + " epochs on "
                        + (data.routerImages() > 0
                                ? data.routerImages() + " images held out from step 1"
                                : "step 1's images"));
        t = System.nanoTime();
        Path step2 = train(
                routerArgs(data.dataYaml(), step1),
                out.resolve("train-router"),
                data.routerImages() > 0 ? data.routerImages() : data.trainImages());
        lap("train_router", t);

        List<Path> valImages = DataConfig.load(data.dataYaml()).images("val");
        Path modelFile = out.resolve("model.safetensors");
        try (ModelLoader loaded = ModelLoader.open(step2, null, Devices.parse(settings.device()))) {
            DynamicDetModel fused = loaded.deployForm();

            listener.stage(5, STAGES, "calibrate thresholds on " + valImages.size() + " validation images");
            t = System.nanoTime();
            Calibrator.Scores s = Calibrator.scores(
                    fused,
                    valImages,
                    settings.imageSize(),
                    32,
                    Images.DEFAULT_PIXEL_LIMIT,
                    (d, n) -> listener.evaluating("calibrate", d, n));
            if (!s.skipped().isEmpty()) throw new IOException("generated images could not be read: " + s.skipped());
            ThresholdTable table = ThresholdTable.fromScores(
                    s.scores(),
                    s.route1Gflops(),
                    s.route2Gflops(),
                    settings.imageSize(),
                    data.dataYaml().toString());
            ModelFiles.save(modelFile, loaded.trainingForm(), loaded.artifact().withCalibration(table));
            lap("calibrate", t);

            listener.stage(6, STAGES, "sweep the accuracy/speed trade-off (both routes on every validation image)");
            t = System.nanoTime();
            Validator.Options o = new Validator.Options(
                    settings.imageSize(), 0.5f, NmsOptions.forEval(), 32, Images.DEFAULT_PIXEL_LIMIT, true);
            List<Validator.ImageResult> results =
                    Validator.run(fused, valImages, o, null, (d, n) -> listener.evaluating("sweep", d, n));
            for (Validator.ImageResult r : results)
                if (r.error() != null) throw new IOException("cannot evaluate " + r.file() + ": " + r.error());
            CocoGroundTruth truth = YoloGroundTruth.build(
                    valImages, loaded.network().classes(), loaded.artifact().classNames());
            double[] thresholds = table.entries().stream()
                    .mapToDouble(ThresholdTable.Entry::threshold)
                    .toArray();
            List<Sweep.Row> rows = Sweep.run(results, truth, thresholds);
            // one oracle for the diagnostics and the per-image figures: it costs 2n + 2 evaluations
            RoutingDiagnostics.Oracle oracle = RoutingDiagnostics.Oracle.bestAffordable(results, truth);
            RoutingDiagnostics.Result routing = RoutingDiagnostics.compute(
                    results, truth, rows, RoutingDiagnostics.DEFAULT_DRAWS, settings.seed(), oracle);
            SweepFiles.write(out, rows, routing);
            lap("sweep", t);

            listener.stage(7, STAGES, "report: annotated easy and hard images, router score against difficulty");
            t = System.nanoTime();
            double threshold = table.thresholdForEasyRatio(ANNOTATED_EASY_SHARE);
            Map<String, Boolean> hard = Difficulty.read(out.resolve("data").resolve("difficulty.csv"));
            Map<Long, Double> gains = oracle.benefits();
            List<DemoReport.RoutedImage> routed =
                    annotate(results, threshold, hard, gains, loaded.artifact().classNames(), out.resolve("annotated"));
            RouterVsDifficulty rvd = scoreAgainstDifficulty(routed, out.resolve("router_vs_difficulty.png"));
            lap("report", t);
            DemoReport report = new DemoReport(
                    new DemoReport.Run(out, settings, data, modelFile, plan.toJson(), stageSeconds, seconds(started)),
                    rows,
                    routing,
                    rvd,
                    threshold,
                    routed);
            report.write();
            return report;
        }
    }

    /** The small-data recipe: no mosaic, mixup or paste-in (they shrink the few large objects), milder jitter, short warmup. */
    static Hyperparameters demoHyperparameters() throws IOException {
        Map<String, Double> o = new LinkedHashMap<>();
        o.put("mosaic", 0.0);
        o.put("mixup", 0.0);
        o.put("paste_in", 0.0);
        o.put("scale", 0.25);
        o.put("translate", 0.1);
        o.put("warmup_epochs", 1.0);
        o.put("warmup_bias_lr", 0.001);
        return Hyperparameters.scratchP5().with(o);
    }

    private TrainArgs detectorArgs(Path dataYaml, Path hyp) {
        return common(TrainingStep.DETECTOR, dataYaml, settings.detectorEpochs())
                .model("dy-yolov7")
                .width(settings.width())
                .hyp(hyp.toString())
                .adam(true)
                .minWarmup(20)
                .validate(true)
                .lr0(settings.lr0())
                .valEvery(settings.detectorEpochs())
                .autoanchor(true)
                .mirrorRoutes(true)
                .build();
    }

    private TrainArgs route2Args(Path dataYaml, Path hyp, Path step1) {
        int epochs = plan.epochs(Trainer.ROUTE2);
        return common(TrainingStep.ROUTE2, dataYaml, epochs)
                .model(null)
                .hyp(hyp.toString())
                .weights(step1.toString())
                .adam(true)
                .minWarmup(20)
                .validate(true)
                .lr0(settings.lr0())
                .valEvery(epochs)
                .build();
    }

    private TrainArgs routerArgs(Path dataYaml, Path step1) {
        int epochs = plan.epochs(Trainer.STEP2);
        return common(TrainingStep.ROUTER, dataYaml, epochs)
                .model(null)
                .hyp("finetune-dynamic")
                .weights(step1.toString())
                .adam(true)
                .linearLr(true)
                .minWarmup(0)
                .validate(false)
                .lr0(settings.routerLr0())
                .valEvery(epochs)
                .routerCriterion(RouterCriterion.AP)
                .build();
    }

    /** What the demo's runs share: its data, machine, seed and batch (accumulated to the batch itself, not 64). */
    private TrainArgsBuilder common(TrainingStep step, Path dataYaml, int epochs) {
        return TrainArgs.builder()
                .step(step)
                .data(dataYaml.toString())
                .epochs(epochs)
                .batch(settings.batch())
                .img(settings.imageSize())
                .device(settings.device())
                .workers(settings.workers())
                .seed(settings.seed())
                .nominalBatch(settings.batch())
                .valBatch(32)
                .labelSmoothing(0.0)
                .cacheDir(null)
                .dynamicThreshold(0.5)
                .linearLr(false)
                .autoanchor(false)
                .mirrorRoutes(false)
                .precision(settings.precision());
    }

    /** Trains one step and returns its final weights; stops early with a message when the budget cannot hold. */
    private Path train(TrainArgs args, Path runDir, int trainImages) throws IOException {
        Files.createDirectories(runDir);
        BudgetWatch watch = new BudgetWatch(args.step().id(), trainImages);
        try (Trainer trainer = Trainer.start(args, runDir, watch)) {
            return trainer.run().last();
        }
    }

    private List<DemoReport.RoutedImage> annotate(
            List<Validator.ImageResult> results,
            double threshold,
            Map<String, Boolean> hard,
            Map<Long, Double> route2Gains,
            List<String> names,
            Path dir)
            throws IOException {
        Images.loadOpenCv();
        List<DemoReport.RoutedImage> routed = new ArrayList<>();
        for (Validator.ImageResult r : results) {
            String file = r.file().getFileName().toString();
            String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
            Boolean isHard = hard.get(stem);
            if (isHard == null) throw new IOException("difficulty.csv has no row for " + stem);
            Route route = r.routerScore() >= (float) threshold ? Route.ROUTE1 : Route.ROUTE2;
            Mat img;
            try {
                img = Images.read(r.file(), Images.DEFAULT_PIXEL_LIMIT);
            } catch (ImageException e) {
                throw new IOException(e.getMessage(), e);
            }
            double k = Math.max(1.0, Math.floor((double) DRAW_SIDE / Math.max(img.rows(), img.cols())));
            if (k > 1) Imgproc.resize(img, img, new Size(img.cols() * k, img.rows() * k), 0, 0, Imgproc.INTER_NEAREST);
            List<CocoDetection> ranked = new ArrayList<>(r.perRoute().get(route).detections());
            ranked.sort((a, b) -> Double.compare(b.score(), a.score()));
            List<Detection> dets = new ArrayList<>();
            for (CocoDetection d : ranked) {
                if (d.score() < DRAW_CONFIDENCE || dets.size() == DRAW_MAX) break;
                Box b = new Box((float) (k * d.x()), (float) (k * d.y()), (float) (k * (d.x() + d.width())), (float)
                        (k * (d.y() + d.height())));
                dets.add(new Detection(b, (float) d.score(), d.categoryId(), names.get(d.categoryId())));
            }
            Path target = dir.resolve(route == Route.ROUTE1 ? "easy" : "hard").resolve(stem + ".jpg");
            Annotator.draw(
                    img,
                    new ImageDetections(
                            file,
                            r.width(),
                            r.height(),
                            dets,
                            new ImageDetections.Routing(r.routerScore(), route, 0),
                            null,
                            null));
            MatOfByte jpg = new MatOfByte();
            Imgcodecs.imencode(".jpg", img, jpg, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, 92));
            byte[] bytes = jpg.toArray();
            AtomicFile.write(target, os -> os.write(bytes));
            jpg.release();
            img.release();
            routed.add(new DemoReport.RoutedImage(
                    file,
                    r.routerScore(),
                    route,
                    isHard,
                    route2Gains.get(r.imageId()),
                    dets.size(),
                    dir.getParent().relativize(target).toString()));
        }
        return routed;
    }

    private static RouterVsDifficulty scoreAgainstDifficulty(List<DemoReport.RoutedImage> routed, Path png)
            throws IOException {
        double[] easy = routed.stream()
                .filter(r -> !r.generatedHard())
                .mapToDouble(DemoReport.RoutedImage::score)
                .toArray();
        double[] hard = routed.stream()
                .filter(DemoReport.RoutedImage::generatedHard)
                .mapToDouble(DemoReport.RoutedImage::score)
                .toArray();
        RouterVsDifficulty rvd = RouterVsDifficulty.of(easy, hard);
        Map<String, double[]> groups = new LinkedHashMap<>();
        groups.put("generated easy", easy);
        groups.put("generated hard", hard);
        Plots.strip(
                png,
                String.format("Router easiness score by generated difficulty (AUC %.3f)", rvd.auc()),
                "easiness score",
                groups);
        return rvd;
    }

    private void lap(String stage, long since) {
        stageSeconds.put(stage, seconds(since));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /**
     * Passes training news on and keeps the demo within its budget: after each epoch it estimates the rest from the
     * steady epochs (the first, with the engine's warm-up, counts only while it is the only one), and when the plan
     * would overrun it shrinks the remaining epochs of every stage in proportion (keeping each stage's minimum) and
     * says so; it stops the demo only when even the smallest plan cannot fit.
     */
    private final class BudgetWatch extends ForwardingTrainListener {
        private final String step;
        private final int trainImages;
        private final List<Double> epochSeconds = new ArrayList<>();

        BudgetWatch(String step, int trainImages) {
            super(listener);
            this.step = step;
            this.trainImages = trainImages;
        }

        @Override
        public void epochDone(EpochResult result) {
            super.epochDone(result);
            epochSeconds.add(result.seconds());
            List<Double> steady = epochSeconds.size() > 1 ? epochSeconds.subList(1, epochSeconds.size()) : epochSeconds;
            double perEpoch =
                    steady.stream().mapToDouble(Double::doubleValue).average().orElse(result.seconds());
            plan.measured(step, perEpoch);
            int done = result.epoch() + 1;
            double elapsed = seconds(started), budget = settings.minutes() * 60;
            double needed = elapsed + plan.remainingSeconds(step, done);
            // one epoch is a noisy estimate (warm-up, a busy moment): act on it only when far over
            if (needed <= (epochSeconds.size() < 2 ? 1.5 * budget : budget)) return;
            DemoPlan smallest = plan.smallest(step, done);
            double smallestNeeded = elapsed + smallest.remainingSeconds(step, done);
            if (smallestNeeded > budget * (epochSeconds.size() < 2 ? 1.5 : 1.0)) {
                throw new DemoBudgetException(String.format(
                        Locale.ROOT,
                        "the demo would take at least %.1f minutes on this machine even shortened to %s, over its %.1f-minute budget "
                                + "(%s epochs take %.0f s here, %.1f images/s on %d images). Allow more time with --minutes %.0f, or use fewer images "
                                + "(--images %d).",
                        smallestNeeded / 60,
                        smallest.describe(),
                        settings.minutes(),
                        step,
                        perEpoch,
                        trainImages / Math.max(perEpoch, 1e-9),
                        trainImages,
                        Math.ceil(smallestNeeded / 60 + 1),
                        Math.max(8, settings.images() / 2)));
            }
            String before = plan.describe();
            plan.shrinkTo(step, done, budget - elapsed);
            listener.message(String.format(
                    Locale.ROOT,
                    "to fit the %.0f-minute budget (%s epochs take %.0f s here) the demo shortens its plan: %s -> %s",
                    settings.minutes(),
                    step,
                    perEpoch,
                    before,
                    plan.describe()));
        }

        @Override
        public boolean keepTraining(EpochResult result) {
            return result.epoch() + 1 < plan.epochs(step);
        }
    }
}
