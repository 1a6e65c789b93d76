package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * What {@link DynamicDetModel#run} returns; which parts are set depends on the {@link ForwardPlan}.
 *
 * @param trace   the pass's layer outputs (complete only with {@link ForwardPlan#keepOutputs()})
 * @param scores  the router's easiness scores (B, 1), or null when the router did not run
 * @param routes  each image's route for fixed and per-image routing, else empty
 * @param output  for fixed and per-image routing, each image's head output in batch order (decoded is null when
 *                the plan does not decode); else null
 * @param head1   the first head's raw logits over the whole batch when it ran so, else null
 * @param head2   the second head's raw logits over the whole batch when it ran so, else null
 */
public record ForwardResult(
        Trace trace, NDArray scores, List<Route> routes, HeadOutput output, NDList head1, NDList head2) {
    public ForwardResult {
        routes = List.copyOf(routes);
    }

    /** The scores as floats, NaN per image when the router did not run. */
    public float[] scoreArray(int batch) {
        if (scores != null) return scores.toFloatArray();
        float[] nan = new float[batch];
        java.util.Arrays.fill(nan, Float.NaN);
        return nan;
    }

    /** As the training forwards returned it. */
    public TrainOutput toTrainOutput() {
        return new TrainOutput(head1, head2, scores);
    }
}
