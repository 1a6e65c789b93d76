package io.dydet.cli;

import io.dydet.engine.Engines;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.runs.RunDir;
import io.dydet.train.EpochResult;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainListener;
import io.dydet.train.Trainer;
import io.dydet.train.TrainingStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description =
                "Training step 1: the cascaded detector (both routes) on a data set, with the original's loss, schedule and augmentation.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions o;

    // --model NAME or --cfg FILE (step 1 trains the definition's step-1 form), --width; --weights: start from these
    // weights by name and shape (anchors excluded), listing what it skipped
    @Mixin
    ModelOptions modelOptions;

    // the old spelling of --optimizer adam
    @Option(names = "--adam", hidden = true)
    void adam(boolean on) {
        if (on) o.optimizer = "adam";
    }

    @Option(
            names = "--noautoanchor",
            description = "keep the definition's anchors even when they fit the data set's boxes badly")
    boolean noAutoanchor;

    @Option(
            names = "--route2-only",
            description =
                    "train only route 2's own layers (second backbone, composite connections, second head) on route 2's loss with route 1 frozen, starting from --weights (a step-1 model); lets route 2 pull ahead of route 1 after a short step 1")
    boolean route2Only;

    @Option(
            names = "--mirror-routes",
            description =
                    "start route 2 as a copy of route 1 with zero composite connections: route 2 then learns at route 1's pace (for short runs and small data; not the original's recipe)")
    boolean mirrorRoutes;

    @Override
    public Integer call() throws Exception {
        return run(o, route2Only ? TrainingStep.ROUTE2 : TrainingStep.DETECTOR, this::args);
    }

    /** The shared flow of both steps: resume or start a run, train, print where everything is. */
    static int run(TrainingOptions o, TrainingStep step, Callable<TrainArgs> args) throws Exception {
        Engines.start(o.threads);
        Trainer trainer;
        Listener listener = new Listener();
        if (o.resume != null) {
            trainer = Trainer.resume(o.resume, o.epochs, listener);
        } else {
            if (o.data == null) throw new IllegalArgumentException("--data is required (or --resume RUN)");
            TrainArgs a = args.call();
            Path dir = RunDir.create(
                    o.project != null
                            ? o.project
                            : Path.of(step == TrainingStep.ROUTER ? "runs/train-router" : "runs/train"),
                    o.name);
            try {
                trainer = Trainer.start(a, dir, listener);
            } catch (Exception e) {
                // the data check failed before training: leave no empty or half-made run folder behind
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(f -> f.toFile().delete());
                }
                throw e;
            }
        }
        try (trainer) {
            System.err.println("training " + trainer.model().network().spec().name() + " in " + trainer.runDir());
            Trainer.Outcome out = trainer.run();
            System.out.printf(
                    "%d epochs done in %s%nlast: %s%nbest: %s (fitness %.4f)%nresults: %s%n",
                    out.epochs().size(),
                    out.runDir(),
                    out.last(),
                    out.best(),
                    out.bestFitness(),
                    out.runDir().resolve("results.csv"));
        }
        return 0;
    }

    /** Adam or SGD (the default). */
    private boolean adam() {
        String opt = o.optimizer == null ? "sgd" : o.optimizer;
        if (!opt.equals("sgd") && !opt.equals("adam"))
            throw new IllegalArgumentException("train's --optimizer is sgd or adam, got '" + opt + "'");
        return opt.equals("adam");
    }

    /** --img, else the --weights model file's size, else the definition's default (1280 for W6, else 640). */
    private int imageSize() throws IOException {
        if (o.img != null) return o.img;
        Integer stored = modelOptions.storedImageSize();
        if (stored != null) return stored;
        return ModelOptions.defaultImageSize(Network.build(ModelSpec.resolve(definition())));
    }

    private String definition() {
        if (modelOptions.model != null && modelOptions.cfg != null)
            throw new IllegalArgumentException("give either --model or --cfg, not both");
        return modelOptions.cfg != null
                ? modelOptions.cfg.toAbsolutePath().toString()
                : modelOptions.model != null ? modelOptions.model : "dy-yolov7";
    }

    TrainArgs args() throws IOException {
        if (modelOptions.classes != null)
            throw new IllegalArgumentException("train takes the number of classes from --data; drop --nc");
        Path weights = modelOptions.weights;
        Double width = modelOptions.width;
        boolean adam = adam();
        int img = imageSize();
        if (route2Only) {
            if (weights == null) throw new IllegalArgumentException("--route2-only needs --weights STEP1_MODEL");
            return o.args(TrainingStep.ROUTE2)
                    .img(img)
                    .model(null)
                    .weights(weights.toAbsolutePath().toString())
                    .adam(adam)
                    .autoanchor(false)
                    .build();
        }
        return o.args(TrainingStep.DETECTOR)
                .img(img)
                .model(definition())
                .width(width)
                .weights(weights == null ? null : weights.toAbsolutePath().toString())
                .adam(adam)
                .autoanchor(!noAutoanchor)
                .mirrorRoutes(mirrorRoutes)
                .build();
    }

    /** Progress bars per epoch and a short table line per finished epoch. */
    static final class Listener implements TrainListener {
        private ProgressBar bar;
        private ProgressBar val;

        @Override
        public void message(String text) {
            System.err.println(text);
        }

        @Override
        public void epochStarted(int epoch, int epochs, int batches) {
            bar = new ProgressBar("epoch " + (epoch + 1) + "/" + epochs, batches);
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, Map<String, Double> columns, double imagesPerSecond) {
            StringBuilder sb = new StringBuilder();
            columns.forEach((k, v) -> sb.append(String.format(" %s %.4f", k, v)));
            sb.append(String.format("  %.1f img/s", imagesPerSecond));
            bar.update(batch, sb.toString());
        }

        @Override
        public void validating(int done, int total) {
            if (val == null) { // at the validator's (0, total): the bar's rate counts from the start of the work
                if (bar != null) bar.finish();
                bar = null;
                val = new ProgressBar("val", total);
            }
            val.update(done);
            if (done >= total) { // also outside an epoch (step 2's AP criterion measures before the first)
                val.finish();
                val = null;
            }
        }

        @Override
        public void epochDone(EpochResult r) {
            if (val != null) val.finish();
            if (bar != null) bar.finish();
            val = null;
            bar = null;
            if (Double.isNaN(r.map())) {
                System.err.printf(
                        "epoch %d: total loss %.4f (not validated)  %.0f s%n",
                        r.epoch() + 1,
                        r.losses().values().stream().reduce((a, b) -> b).orElse(Double.NaN),
                        r.seconds());
                return;
            }
            System.err.printf(
                    "epoch %d: P %.3f R %.3f mAP@.5 %.4f mAP@.5:.95 %.4f (route 1: %.4f / %.4f)%s  %.0f s%n",
                    r.epoch() + 1,
                    r.precision(),
                    r.recall(),
                    r.map50(),
                    r.map(),
                    r.route1Map50(),
                    r.route1Map(),
                    r.best() ? "  best" : "",
                    r.seconds());
        }
    }
}
