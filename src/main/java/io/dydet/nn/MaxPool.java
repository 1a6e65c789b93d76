package io.dydet.nn;

import ai.djl.ndarray.NDList;
import java.util.List;

/** The cfg's {@code MP}: max pooling, kernel 2, stride 2, no padding. */
public record MaxPool() implements Layer {
    @Override
    public String module() {
        return "MP";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of();
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(new FeatureShape(s.channels(), s.height() / 2, s.width() / 2));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        return new NDList(Ops.maxPool(inputs.get(0).head(), 2, 2, 0));
    }
}
