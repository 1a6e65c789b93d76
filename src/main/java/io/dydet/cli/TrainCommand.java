package io.dydet.cli;

import io.dydet.runs.RunDir;
import io.dydet.train.EpochResult;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainListener;
import io.dydet.train.Trainer;
import io.dydet.train.TrainingStep;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training step 1: the cascaded detector (both routes) on a data set, with the original's loss, schedule and augmentation.")
final class TrainCommand implements Callable<Integer> {
    @Mixin TrainingOptions o;

    @Option(names = "--model", defaultValue = "dy-yolov7", description = "built-in model (its step-1 form is trained) or a cfg file (default ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition file (same as --model FILE)")
    Path cfg;

    @Option(names = "--width", description = "width multiple of a built-in model, e.g. 0.25")
    Double width;

    @Option(names = "--weights", paramLabel = "INIT", description = "start from these weights by name and shape (anchors excluded); lists what it skipped")
    Path weights;

    @Option(names = "--adam", description = "Adam instead of SGD with Nesterov momentum")
    boolean adam;

    @Option(names = "--noautoanchor", description = "keep the definition's anchors even when they fit the data set's boxes badly")
    boolean noAutoanchor;

    @Option(names = "--route2-only", description = "train only route 2's own layers (second backbone, composite connections, second head) on route 2's loss with route 1 frozen, starting from --weights (a step-1 model); lets route 2 pull ahead of route 1 after a short step 1")
    boolean route2Only;

    @Option(names = "--mirror-routes", description = "start route 2 as a copy of route 1 with zero composite connections: route 2 then learns at route 1's pace (for short runs and small data; not the original's recipe)")
    boolean mirrorRoutes;

    @Override
    public Integer call() throws Exception {
        return run(o, route2Only ? TrainingStep.ROUTE2 : TrainingStep.DETECTOR, this::args);
    }

    /** The shared flow of both steps: resume or start a run, train, print where everything is. */
    static int run(TrainingOptions o, TrainingStep step, java.util.function.Supplier<TrainArgs> args) throws Exception {
        io.dydet.engine.Engines.start(o.threads);
        Trainer trainer;
        Listener listener = new Listener();
        if (o.resume != null) {
            trainer = Trainer.resume(o.resume, o.epochs, listener);
        } else {
            if (o.data == null) throw new IllegalArgumentException("--data is required (or --resume RUN)");
            TrainArgs a = args.get();
            Path dir = RunDir.create(o.project != null ? o.project : Path.of(step == TrainingStep.ROUTER ? "runs/train-router" : "runs/train"), o.name);
            try {
                trainer = Trainer.start(a, dir, listener);
            } catch (Exception e) {
                // the data check failed before training: leave no empty or half-made run folder behind
                try (var files = java.nio.file.Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
                throw e;
            }
        }
        try (trainer) {
            System.err.println("training " + trainer.model().network().spec().name() + " in " + trainer.runDir());
            Trainer.Outcome out = trainer.run();
            System.out.printf("%d epochs done in %s%nlast: %s%nbest: %s (fitness %.4f)%nresults: %s%n", out.epochs().size(), out.runDir(), out.last(),
                    out.best(), out.bestFitness(), out.runDir().resolve("results.csv"));
        }
        return 0;
    }

    TrainArgs args() {
        if (route2Only) {
            if (weights == null) throw new IllegalArgumentException("--route2-only needs --weights STEP1_MODEL");
            return o.args(TrainingStep.ROUTE2).model(null).weights(weights.toAbsolutePath().toString()).adam(adam).autoanchor(false).build();
        }
        return o.args(TrainingStep.DETECTOR).model(cfg != null ? cfg.toAbsolutePath().toString() : model).width(width)
                .weights(weights == null ? null : weights.toAbsolutePath().toString()).adam(adam).autoanchor(!noAutoanchor).mirrorRoutes(mirrorRoutes)
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
                System.err.printf("epoch %d: total loss %.4f (not validated)  %.0f s%n", r.epoch() + 1, r.losses().values().stream().reduce((a, b) -> b).orElse(Double.NaN),
                        r.seconds());
                return;
            }
            System.err.printf("epoch %d: P %.3f R %.3f mAP@.5 %.4f mAP@.5:.95 %.4f (route 1: %.4f / %.4f)%s  %.0f s%n", r.epoch() + 1, r.precision(),
                    r.recall(), r.map50(), r.map(), r.route1Map50(), r.route1Map(), r.best() ? "  best" : "", r.seconds());
        }
    }
}
