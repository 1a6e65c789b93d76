package io.dydet.train;

import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainingSet;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/** Route 2 alone after step 1: its own layers train on its loss while route 1 stays as step 1 left it. */
final class Route2Step implements TrainingStep {
    @Override
    public String id() {
        return "route2";
    }

    @Override
    public Defaults defaults() {
        return new Defaults("scratch.p5", 10, 16, false, false, false);
    }

    @Override
    public String trainedBy() {
        return "train";
    }

    @Override
    public ModelSpec spec(TrainArgs args) throws IOException {
        if (args.weights() == null)
            throw new IllegalArgumentException("training route 2 alone needs --weights (a step-1 model)");
        return ModelFiles.describedSpec(Path.of(args.weights()));
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
        // it continues a step-1 model: its anchors come along
        trainer.transferInitialWeights(true);
    }

    @Override
    public ParameterGroups parameterGroups(DynamicDetModel model) {
        return ParameterGroups.of(model, DynamicDetModel::isRoute2Only);
    }

    @Override
    public double emaDecay() {
        return Ema.DEFAULT_DECAY;
    }

    @Override
    public Optimizer optimizer(ParameterGroups groups, Hyperparameters hyp, boolean adam) {
        return TrainingStep.DETECTOR.optimizer(groups, hyp, adam);
    }

    @Override
    public Schedule schedule(Hyperparameters hyp, TrainArgs args, long batchesPerEpoch) {
        return TrainingStep.DETECTOR.schedule(hyp, args, batchesPerEpoch);
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
                x -> model.forwardTrainRoute2(x, trainer.args().precision()),
                CascadeLoss::computeRoute2);
    }

    @Override
    public String toString() {
        return id();
    }
}
