package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * The dynamic forward of a batch: each image took its own route. {@code decoded} and {@code raw} are in the
 * batch's order; row i came from the head of {@code routes.get(i)}. {@code scores} are the router's easiness
 * scores (route 1 iff score >= the image's threshold).
 */
public record RoutedOutput(NDArray decoded, NDList raw, float[] scores, List<Route> routes) {
    public RoutedOutput {
        scores = scores.clone();
        routes = List.copyOf(routes);
    }

    public float[] scores() {
        return scores.clone();
    }
}
