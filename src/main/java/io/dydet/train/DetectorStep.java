package io.dydet.train;

import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainingSet;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/** Step 1: the cascaded detector, both routes, from scratch or from initial weights. */
final class DetectorStep implements TrainingStep {
    @Override
    public String id() {
        return "detector";
    }

    @Override
    public Defaults defaults() {
        return new Defaults("scratch.p5", 300, 16, false, false, true);
    }

    @Override
    public String trainedBy() {
        return "train";
    }

    @Override
    public ModelSpec spec(TrainArgs args) throws IOException {
        // a built-in name means its step-1 form (no router)
        boolean builtIn = ModelSpec.BUILT_IN.contains(args.model());
        ModelSpec spec = ModelSpec.resolve(builtIn ? args.model() + "-step1" : args.model());
        return args.width() != null ? spec.withWidth(args.width()) : spec;
    }

    @Override
    public TrainingSet trainingSet(DataConfig data, TrainArgs args, TrainListener listener) throws IOException {
        return TrainingSet.open(
                data.images("train"),
                data.nc(),
                args.cacheDir() == null ? null : Path.of(args.cacheDir()),
                data.file() + " (train)");
    }

    @Override
    public void initialise(Trainer trainer) throws IOException {
        if (trainer.args().autoanchor()) trainer.autoanchor();
        // initial weights by name and shape; the anchors are the definition's (or autoanchor's)
        trainer.transferInitialWeights(false);
        if (trainer.args().mirrorRoutes()) {
            int n = MirrorInit.apply(trainer.model());
            trainer.listener()
                    .message("route 2 starts as a copy of route 1 (" + n
                            + " tensors copied, composite connections zeroed)");
        }
    }

    @Override
    public ParameterGroups parameterGroups(DynamicDetModel model) {
        return ParameterGroups.of(model);
    }

    @Override
    public double emaDecay() {
        return Ema.DEFAULT_DECAY;
    }

    /** SGD with Nesterov momentum or Adam, as the original. */
    @Override
    public Optimizer optimizer(ParameterGroups groups, Hyperparameters hyp, boolean adam) {
        return adam
                ? Optimizers.adam(groups, hyp.lr0(), hyp.momentum(), 0)
                : Optimizers.sgd(groups, hyp.lr0(), hyp.momentum(), 0, true);
    }

    @Override
    public Schedule schedule(Hyperparameters hyp, TrainArgs args, long batchesPerEpoch) {
        return Schedule.of(hyp, args.epochs(), batchesPerEpoch, args.batch(), args.linearLr())
                .withMinWarmupIterations(args.minWarmup())
                .withNominalBatch(args.nominalBatch());
    }

    @Override
    public float validationThreshold(TrainArgs args) {
        return Float.NaN;
    }

    @Override
    public StepLoss loss(Trainer trainer, Hyperparameters scaled) {
        DynamicDetModel model = trainer.model();
        return new CascadeStepLoss(
                trainer,
                new CascadeLoss(model, scaled),
                x -> model.forwardTrain(x, trainer.args().precision()),
                CascadeLoss::compute);
    }

    @Override
    public String toString() {
        return id();
    }
}
