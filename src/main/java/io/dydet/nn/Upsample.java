package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/** The cfg's {@code nn.Upsample} with scale 2, mode nearest: each pixel replicated 2 x 2. */
public record Upsample(int scale) implements Layer {
    @Override
    public String module() {
        return "nn.Upsample";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of();
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(new FeatureShape(s.channels(), s.height() * scale, s.width() * scale));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray x = inputs.get(0).head();
        return new NDList(
                Ops.resizeNearest(x, x.getShape().get(2) * scale, x.getShape().get(3) * scale));
    }
}
