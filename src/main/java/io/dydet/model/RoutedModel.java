package io.dydet.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * The dynamic forward pass of a deploy-form model, whichever engine runs it (libtorch through
 * {@link DynamicDetModel}, or ONNX Runtime): images in, each image routed by its own threshold, decoded
 * predictions out in batch order.
 */
public interface RoutedModel extends AutoCloseable {
    Network network();

    /** Where inputs must live (ONNX Runtime: the CPU). */
    Device device();

    /** The router's easiness score of every image of a batch (NaN for a model without router). */
    float[] easiness(NDArray input);

    /** The whole batch through one route: decoded predictions (B, N, nc + 5). */
    NDArray decode(NDArray input, Route route);

    /** Every image routed by one threshold. */
    default RoutedOutput forward(NDArray input, float threshold) {
        float[] each = new float[(int) input.getShape().get(0)];
        Arrays.fill(each, threshold);
        return forward(input, each);
    }

    /** Image i takes route 1 iff its easiness score >= thresholds[i]; decoded predictions are (B, N, nc + 5). */
    RoutedOutput forward(NDArray input, float[] thresholds);

    @Override
    void close();
}
