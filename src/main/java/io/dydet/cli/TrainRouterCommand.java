package io.dydet.cli;

import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.train.RouterCriterion;
import io.dydet.train.TrainArgs;
import io.dydet.train.TrainingStep;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "train-router",
        mixinStandardHelpOptions = true,
        description = {
            "Training step 2: freeze a step-1 model (--weights) and train its router with the loss-based exit criterion (defaults: the original's recipe).",
            "--model/--cfg, when given, must name the definition the step-1 model file describes."
        },
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {
            ExitCodes.SUCCESS,
            "1:failure (bad data set, model file or settings; the message says which)",
            "2:usage error (unknown or invalid option)"
        })
final class TrainRouterCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions o;

    @Mixin
    ModelOptions modelOptions;

    // the old spelling of --optimizer sgd
    @Option(names = "--sgd", hidden = true)
    void sgd(boolean on) {
        if (on) o.optimizer = "sgd";
    }

    @Option(
            names = "--dy-thres",
            defaultValue = "0.5",
            paramLabel = "T",
            description = "router threshold of the per-epoch dynamic validation (default ${DEFAULT-VALUE})")
    double dyThres;

    @Option(
            names = "--criterion",
            defaultValue = "loss",
            description =
                    "exit criterion: 'loss' (the original's: each image's detection loss gap "
                            + "L1 - L2) or 'ap' (each image's contribution to the set's AP when it moves to route 2, measured once on the frozen detector; "
                            + "beyond the original, for small data sets, best with a held-out 'router' split) (default ${DEFAULT-VALUE})")
    String criterion;

    @Override
    public Integer call() throws Exception {
        return TrainCommand.run(o, TrainingStep.ROUTER, this::args);
    }

    TrainArgs args() throws IOException {
        Path weights = modelOptions.weights;
        if (weights == null) throw new IllegalArgumentException("--weights STEP1_MODEL is required (or --resume RUN)");
        if (modelOptions.width != null || modelOptions.classes != null)
            throw new IllegalArgumentException(
                    "train-router takes the width from the step-1 model and the classes from --data; drop --width/--nc");
        checkDefinition(weights);
        String opt = o.optimizer == null ? "adamw" : o.optimizer;
        if (!opt.equals("adamw") && !opt.equals("sgd"))
            throw new IllegalArgumentException("train-router's --optimizer is adamw or sgd, got '" + opt + "'");
        Integer stored = modelOptions.storedImageSize();
        int img = o.img != null ? o.img : stored != null ? stored : 640;
        return o.args(TrainingStep.ROUTER)
                .img(img)
                .model(null)
                .weights(weights.toAbsolutePath().toString())
                .adam(opt.equals("adamw"))
                .linearLr(true)
                .dynamicThreshold(dyThres)
                .autoanchor(false)
                .routerCriterion(RouterCriterion.parse(criterion))
                .build();
    }

    /** Step 2 continues the step-1 model the file describes; a --model/--cfg that names another one is a mistake. */
    private void checkDefinition(Path weights) throws IOException {
        if (modelOptions.model == null && modelOptions.cfg == null) return;
        ModelSpec named = modelOptions.spec();
        ModelSpec inFile = ModelFiles.describedSpec(weights);
        String base = named.name().replace("-step1", "");
        if (!inFile.name().replace("-step1", "").equals(base))
            throw new IllegalArgumentException(weights + " holds " + inFile.name() + ", not " + named.name());
    }
}
