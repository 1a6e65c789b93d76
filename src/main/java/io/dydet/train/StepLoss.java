package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.train.TrainBatch;
import java.util.Map;

/** A training step's forward and loss over a run, with whatever state they carry from batch to batch and into the checkpoint. */
interface StepLoss {
    /** Forward, loss and backward of one batch; returns the items to log. */
    Map<String, Double> step(NDArray images, TrainBatch batch);

    /** Before the first epoch (new or resumed). */
    default void beforeEpochs() throws java.io.IOException {}

    default void epochStarted() {}

    /** Adds the epoch's own items to its mean losses. */
    default void epochDone(Map<String, Double> means) {}

    /** The state to keep in the training checkpoint, by section. */
    default Map<String, Map<String, NDArray>> state(NDManager manager) {
        return Map.of();
    }

    default void restore(TrainingCheckpoint.Contents saved) {}
}
