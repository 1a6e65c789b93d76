package io.dydet.cli;

import io.dydet.runs.RunDir;
import io.dydet.train.EpochResult;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainListener;
import io.dydet.train.Trainer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training step 1: the cascaded detector (both routes) on a data set, with the original's loss, schedule and augmentation.")
class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "dy-yolov7-step1", description = "built-in model (step-1 form is used) or a cfg file (default ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition file (same as --model FILE)")
    Path cfg;

    @Option(names = "--width", description = "width multiple of a built-in model, e.g. 0.25")
    Double width;

    @Option(names = "--data", paramLabel = "D.yaml", description = "data set YAML (train/val/nc/names)")
    Path data;

    @Option(names = "--hyp", description = "hyper-parameters: scratch.p5, scratch.p6, finetune-dynamic or a YAML file (default: scratch.p5; train-router: finetune-dynamic)")
    String hyp;

    @Option(names = "--epochs", description = "epochs (default 300; with --resume: extend the run to this many)")
    Integer epochs;

    @Option(names = "--batch", description = "images per batch (default: 16; train-router: 1)")
    Integer batch;

    @Option(names = "--img", defaultValue = "640", description = "training image size (default ${DEFAULT-VALUE})")
    int img;

    @Option(names = "--weights", paramLabel = "INIT", description = "start from these weights by name and shape (anchors excluded); lists what it skipped")
    Path weights;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", description = "intra-op threads (default: all cores)")
    int threads;

    @Option(names = "--workers", defaultValue = "2", description = "data loading threads (default ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--seed", defaultValue = "0", description = "seed of initialisation and augmentation (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--resume", paramLabel = "RUN", description = "continue the run in this folder from its last finished epoch")
    Path resume;

    @Option(names = "--project", description = "parent folder of runs (default: runs/train; train-router: runs/train-router)")
    Path project;

    @Option(names = "--name", defaultValue = "exp", description = "run folder name (default ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--adam", description = "Adam instead of SGD with Nesterov momentum (train-router: AdamW is the default; --sgd selects SGD)")
    boolean adam;

    @Option(names = "--linear-lr", description = "linear instead of cosine learning-rate decay")
    boolean linearLr;

    @Option(names = "--min-warmup", defaultValue = "1000", description = "minimum warmup iterations (the original: 1000; small data sets need fewer); train-router counts images (default ${DEFAULT-VALUE})")
    int minWarmup;

    @Option(names = "--nominal-batch", defaultValue = "64", description = "accumulate gradients up to this many images per step (default ${DEFAULT-VALUE})")
    int nominalBatch;

    @Option(names = "--lr0", description = "override the hyp file's initial learning rate")
    Double lr0;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "label smoothing epsilon (default ${DEFAULT-VALUE})")
    double labelSmoothing;

    @Option(names = "--noval", description = "no per-epoch validation")
    boolean noVal;

    @Option(names = "--val-every", defaultValue = "1", description = "validate every N epochs and after the last (default ${DEFAULT-VALUE})")
    int valEvery;

    @Option(names = "--noautoanchor", description = "keep the definition's anchors even when they fit the data set's boxes badly")
    boolean noAutoanchor;

    @Option(names = "--val-batch", defaultValue = "32", description = "validation batch (default ${DEFAULT-VALUE})")
    int valBatch;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "where the label cache goes (default: beside the labels)")
    Path cacheDir;

    String step() {
        return Trainer.STEP1;
    }

    @Override
    public Integer call() throws Exception {
        io.dydet.engine.Engines.start(threads);
        Trainer trainer;
        Listener listener = new Listener();
        if (resume != null) {
            trainer = Trainer.resume(resume, epochs, listener);
        } else {
            if (data == null) throw new IllegalArgumentException("--data is required (or --resume RUN)");
            TrainArgs a = args();
            Path dir = RunDir.create(project != null ? project : Path.of(defaultProject()), name);
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
            Trainer.Outcome o = trainer.run();
            System.out.printf("%d epochs done in %s%nlast: %s%nbest: %s (fitness %.4f)%nresults: %s%n", o.epochs().size(), o.runDir(), o.last(),
                    o.best(), o.bestFitness(), o.runDir().resolve("results.csv"));
        }
        return 0;
    }

    TrainArgs args() {
        String m = cfg != null ? cfg.toAbsolutePath().toString() : model;
        return new TrainArgs(step(), m, width, data.toAbsolutePath().toString(), hyp != null ? hyp : defaultHyp(), epochs == null ? defaultEpochs() : epochs,
                batch != null ? batch : defaultBatch(), img, device, workers, seed, weights == null ? null : weights.toAbsolutePath().toString(), useAdam(), linearLr, minWarmup, nominalBatch, !noVal,
                valBatch, labelSmoothing, lr0, cacheDir == null ? null : cacheDir.toAbsolutePath().toString(), threshold(), valEvery, !noAutoanchor);
    }

    int defaultEpochs() {
        return 300;
    }

    String defaultHyp() {
        return "scratch.p5";
    }

    int defaultBatch() {
        return 16;
    }

    String defaultProject() {
        return "runs/train";
    }

    boolean useAdam() {
        return adam;
    }

    double threshold() {
        return 0.5;
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
            if (val == null) {
                bar.finish();
                val = new ProgressBar("val", total);
            }
            val.update(done);
        }

        @Override
        public void epochDone(EpochResult r) {
            if (val != null) val.finish();
            else bar.finish();
            val = null;
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
