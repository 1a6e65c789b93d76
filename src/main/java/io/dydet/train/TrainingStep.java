package io.dydet.train;

import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainingSet;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import java.io.IOException;
import java.util.List;

/**
 * What a training run trains. Each variant owns what differs between the stages of DynamicDet's training: the model
 * it starts from, which parameters train, the forward and loss, the EMA, the optimiser, what is logged and how
 * validation runs; {@link Trainer} runs any of them the same way.
 *
 * <ul>
 *   <li>{@link #DETECTOR} (step 1): the cascaded detector, both routes, on {@link CascadeLoss}.
 *   <li>{@link #ROUTE2}: an optional stage after step 1 where only route 2's own layers (second backbone, composite
 *       connections, second head) train on route 2's loss, with route 1 frozen (weights and BatchNorm statistics). A
 *       short run lets route 2 pull ahead of route 1 where a short joint step 1 leaves them level (see {@link MirrorInit}).
 *   <li>{@link #ROUTER} (step 2): the detector frozen, the router trained on the easiness score's exit criterion
 *       ({@link RouterCriterion}).
 * </ul>
 */
public sealed interface TrainingStep permits DetectorStep, Route2Step, RouterStep {
    TrainingStep DETECTOR = new DetectorStep();
    TrainingStep ROUTE2 = new Route2Step();
    TrainingStep ROUTER = new RouterStep();

    /** All steps in training order. */
    List<TrainingStep> ALL = List.of(DETECTOR, ROUTE2, ROUTER);

    /** The spelling of args.yaml and the training checkpoint: detector, route2 or router. */
    String id();

    /** {@code detector}, {@code route2} or {@code router}. */
    static TrainingStep parse(String id) {
        for (TrainingStep s : ALL) if (s.id().equals(id)) return s;
        throw new IllegalArgumentException("unknown training step '" + id + "' (expected " + DETECTOR.id() + ", "
                + ROUTE2.id() + " or " + ROUTER.id() + ")");
    }

    /** The command line's defaults of the settings that differ by step. */
    record Defaults(String hyp, int epochs, int batch, boolean adam, boolean linearLr, boolean autoanchor) {}

    /** What a run of this step uses where its {@link TrainArgs} do not say. */
    Defaults defaults();

    /** The command that trains this step, as named in the model files' provenance. */
    String trainedBy();

    /** The model the run trains, before its classes are fitted to the data set. */
    ModelSpec spec(TrainArgs args) throws IOException;

    /** The images the step trains on. */
    TrainingSet trainingSet(DataConfig data, TrainArgs args, TrainListener listener) throws IOException;

    /** Sets up a new run's model from its random initialisation: the initial weights and whatever else the step needs. */
    void initialise(Trainer trainer) throws IOException;

    /** The parameters that train (everything else is frozen). */
    ParameterGroups parameterGroups(DynamicDetModel model);

    /** The EMA's decay (0: the EMA is the model). */
    double emaDecay();

    /** The EMA update after an optimiser step: every tensor unless the step changes fewer. */
    default void updateEma(Ema ema, DynamicDetModel model, ParameterGroups groups) {
        ema.update(model);
    }

    Optimizer optimizer(ParameterGroups groups, Hyperparameters hyp, boolean adam);

    Schedule schedule(Hyperparameters hyp, TrainArgs args, long batchesPerEpoch);

    /** The threshold of the per-epoch validation's dynamic inference; NaN validates both routes without the router. */
    float validationThreshold(TrainArgs args);

    /** The step's forward, loss and its bookkeeping for one run. */
    StepLoss loss(Trainer trainer, Hyperparameters scaled) throws IOException;
}
