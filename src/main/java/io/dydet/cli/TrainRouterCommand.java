package io.dydet.cli;

import io.dydet.train.TrainArgs;
import io.dydet.train.RouterCriterion;
import io.dydet.train.TrainingStep;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-router", mixinStandardHelpOptions = true,
        description = "Training step 2: freeze a step-1 model and train its router with the loss-based exit criterion (defaults: the original's recipe).")
final class TrainRouterCommand implements Callable<Integer> {
    @Mixin TrainingOptions o;

    @Option(names = "--weights", paramLabel = "STEP1_MODEL", description = "the step-1 model (a router is added when it has none)")
    Path weights;

    @Option(names = "--sgd", description = "SGD with Nesterov momentum instead of the original's AdamW")
    boolean sgd;

    @Option(names = "--dy-thres", defaultValue = "0.5", description = "threshold of the per-epoch dynamic validation (default ${DEFAULT-VALUE})")
    double dyThres;

    @Option(names = "--criterion", defaultValue = "loss", description = "exit criterion: 'loss' (the original's: each image's detection loss gap "
            + "L1 - L2) or 'ap' (each image's contribution to the set's AP when it moves to route 2, measured once on the frozen detector; "
            + "beyond the original, for small data sets, best with a held-out 'router' split) (default ${DEFAULT-VALUE})")
    String criterion;

    @Override
    public Integer call() throws Exception {
        return TrainCommand.run(o, TrainingStep.ROUTER, this::args);
    }

    TrainArgs args() {
        if (weights == null) throw new IllegalArgumentException("--weights STEP1_MODEL is required (or --resume RUN)");
        return o.args(TrainingStep.ROUTER).model(null).weights(weights.toAbsolutePath().toString()).adam(!sgd).linearLr(true)
                .dynamicThreshold(dyThres).autoanchor(false).routerCriterion(RouterCriterion.parse(criterion)).build();
    }
}
