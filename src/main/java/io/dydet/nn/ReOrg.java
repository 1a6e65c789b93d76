package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/**
 * Space-to-depth (W6 stem): channel blocks in the order (even row, even col), (odd row, even col),
 * (even row, odd col), (odd row, odd col). Any other order silently breaks W6 weights.
 */
public record ReOrg() implements Layer {
    @Override
    public String module() {
        return "ReOrg";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of();
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(new FeatureShape(4 * s.channels(), (s.height() + 1) / 2, (s.width() + 1) / 2));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray x = inputs.get(0).head();
        return new NDList(Ops.concat(new NDList(
                x.get(new NDIndex(":, :, 0::2, 0::2")),
                x.get(new NDIndex(":, :, 1::2, 0::2")),
                x.get(new NDIndex(":, :, 0::2, 1::2")),
                x.get(new NDIndex(":, :, 1::2, 1::2")))));
    }
}
