package io.dydet.cli;

import io.dydet.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train-router", mixinStandardHelpOptions = true,
        description = "Training step 2: freeze a step-1 model and train its router with the loss-based exit criterion (defaults: the original's recipe).")
final class TrainRouterCommand extends TrainCommand {
    @Option(names = "--dy-thres", defaultValue = "0.5", description = "threshold of the per-epoch dynamic validation (default ${DEFAULT-VALUE})")
    double dyThres;

    @Option(names = "--sgd", description = "SGD with Nesterov momentum instead of the original's AdamW")
    boolean sgd;

    @Override
    String defaultHyp() {
        return "finetune-dynamic";
    }

    @Override
    int defaultBatch() {
        return 1;
    }

    @Override
    String defaultProject() {
        return "runs/train-router";
    }

    @Override
    boolean useAdam() {
        return !sgd;
    }

    @Override
    String step() {
        return Trainer.STEP2;
    }

    @Override
    int defaultEpochs() {
        return 2;
    }

    @Override
    double threshold() {
        return dyThres;
    }
}
