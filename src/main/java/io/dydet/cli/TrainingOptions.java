package io.dydet.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options both training steps share; step-specific defaults come from the command. */
final class TrainingOptions {
    @Option(names = "--data", paramLabel = "D.yaml", description = "data set YAML (train/val/nc/names; train-router trains on its held-out 'router' split when it names one, else on train)")
    Path data;

    @Option(names = "--hyp", description = "hyper-parameters: scratch.p5, scratch.p6, finetune-dynamic or a YAML file (default: scratch.p5; train-router: finetune-dynamic)")
    String hyp;

    @Option(names = "--epochs", description = "epochs (default: 300; train-router: 2; with --resume: extend the run to this many)")
    Integer epochs;

    @Option(names = "--batch", description = "images per batch (default: 16; train-router: 1)")
    Integer batch;

    @Option(names = "--img", defaultValue = "640", description = "training image size (default ${DEFAULT-VALUE})")
    int img;

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

    @Option(names = "--linear-lr", description = "linear instead of cosine learning-rate decay (train-router: always linear, constant at lrf 1)")
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

    @Option(names = "--val-batch", defaultValue = "32", description = "validation batch (default ${DEFAULT-VALUE})")
    int valBatch;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "where the label cache goes (default: beside the labels)")
    Path cacheDir;

    /** The settings shared by every step; the step's own defaults fill what was not given. */
    io.dydet.train.TrainArgs.Builder args(io.dydet.train.TrainingStep step) {
        io.dydet.train.TrainArgs.Builder b = io.dydet.train.TrainArgs.builder().step(step).data(data.toAbsolutePath().toString()).hyp(hyp).img(img)
                .device(device).workers(workers).seed(seed).linearLr(linearLr).minWarmup(minWarmup).nominalBatch(nominalBatch).validate(!noVal)
                .valBatch(valBatch).labelSmoothing(labelSmoothing).lr0(lr0).cacheDir(cacheDir == null ? null : cacheDir.toAbsolutePath().toString())
                .valEvery(valEvery);
        if (epochs != null) b.epochs(epochs);
        if (batch != null) b.batch(batch);
        return b;
    }
}
