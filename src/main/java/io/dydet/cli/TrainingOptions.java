package io.dydet.cli;

import io.dydet.model.Precision;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainArgsBuilder;
import io.dydet.train.TrainingStep;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options both training steps share; step-specific defaults come from the command. */
public final class TrainingOptions {
    @Option(
            names = "--data",
            paramLabel = "D.yaml",
            description =
                    "data set YAML (train/val/nc/names; train-router trains on its held-out 'router' split when it names one, else on train)")
    public Path data;

    @Option(
            names = "--hyp",
            description =
                    "hyper-parameters: scratch.p5, scratch.p6, finetune-dynamic or a YAML file (default: scratch.p5; train-router: finetune-dynamic)")
    public String hyp;

    @Option(
            names = "--epochs",
            description = "epochs (default: 300; train-router: 2; with --resume: extend the run to this many)")
    public Integer epochs;

    // --batch-size, --img-size: the original train.py's spellings
    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            description = "images per batch (default: 16; train-router: 1)")
    public Integer batch;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "training image size (default: the --weights model file's, else 640; 1280 for W6)")
    public Integer img;

    @Option(
            names = "--optimizer",
            paramLabel = "sgd|adam|adamw",
            description = "optimiser (default: train sgd, with Nesterov momentum; train-router adamw, the original's)")
    public String optimizer;

    @Option(
            names = "--precision",
            paramLabel = "fp32|bf16",
            defaultValue = "fp32",
            description =
                    "number format of the forward and backward passes: fp32, or bf16 mixed precision (convolutions, activations and their gradients in bf16; weights, BatchNorm statistics, losses and the optimiser in fp32; needs a CPU with AVX512-BF16 or AMX; default ${DEFAULT-VALUE})")
    public String precision;

    @Option(
            names = "--device",
            paramLabel = "DEV",
            defaultValue = "cpu",
            description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE})")
    public String device;

    @Option(names = "--threads", paramLabel = "N", description = "intra-op threads (default: all cores)")
    public int threads;

    @Option(names = "--workers", defaultValue = "2", description = "data loading threads (default ${DEFAULT-VALUE})")
    public int workers;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "seed of initialisation and augmentation (default ${DEFAULT-VALUE})")
    public long seed;

    @Option(
            names = "--resume",
            paramLabel = "RUN",
            description = "continue the run in this folder from its last finished epoch")
    public Path resume;

    @Option(
            names = "--project",
            description = "parent folder of runs (default: runs/train; train-router: runs/train-router)")
    public Path project;

    @Option(names = "--name", defaultValue = "exp", description = "run folder name (default ${DEFAULT-VALUE})")
    public String name;

    @Option(
            names = "--linear-lr",
            description =
                    "linear instead of cosine learning-rate decay (train-router: always linear, constant at lrf 1)")
    public boolean linearLr;

    @Option(
            names = "--min-warmup",
            defaultValue = "1000",
            description =
                    "minimum warmup iterations (the original: 1000; small data sets need fewer); train-router counts images (default ${DEFAULT-VALUE})")
    public int minWarmup;

    @Option(
            names = "--nominal-batch",
            defaultValue = "64",
            description = "accumulate gradients up to this many images per step (default ${DEFAULT-VALUE})")
    public int nominalBatch;

    @Option(names = "--lr0", description = "override the hyp file's initial learning rate")
    public Double lr0;

    @Option(
            names = "--label-smoothing",
            defaultValue = "0",
            description = "label smoothing epsilon (default ${DEFAULT-VALUE})")
    public double labelSmoothing;

    @Option(names = "--noval", description = "no per-epoch validation")
    public boolean noVal;

    @Option(
            names = "--val-every",
            defaultValue = "1",
            description = "validate every N epochs and after the last (default ${DEFAULT-VALUE})")
    public int valEvery;

    @Option(names = "--val-batch", defaultValue = "32", description = "validation batch (default ${DEFAULT-VALUE})")
    public int valBatch;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "where the label cache goes (default: beside the labels)")
    public Path cacheDir;

    /** The settings shared by every step; the step's own defaults fill what was not given. */
    TrainArgsBuilder args(TrainingStep step) {
        TrainArgsBuilder b = TrainArgs.builder()
                .step(step)
                .data(data.toAbsolutePath().toString())
                .hyp(hyp)
                .device(device)
                .workers(workers)
                .seed(seed)
                .linearLr(linearLr)
                .minWarmup(minWarmup)
                .nominalBatch(nominalBatch)
                .validate(!noVal)
                .valBatch(valBatch)
                .labelSmoothing(labelSmoothing)
                .lr0(lr0)
                .cacheDir(cacheDir == null ? null : cacheDir.toAbsolutePath().toString())
                .valEvery(valEvery)
                .precision(Precision.parse(precision));
        if (epochs != null) b.epochs(epochs);
        if (batch != null) b.batch(batch);
        if (img != null) b.img(img);
        return b;
    }
}
