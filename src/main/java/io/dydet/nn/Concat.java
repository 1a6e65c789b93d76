package io.dydet.nn;

import ai.djl.ndarray.NDList;
import java.util.List;

/** Channel concatenation of the sources, in the order the cfg's {@code from} list gives them. */
public record Concat() implements Layer {
    @Override
    public String module() {
        return "Concat";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of();
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape first = inputs.get(0).get(0);
        long c = 0;
        for (List<FeatureShape> in : inputs) {
            FeatureShape s = in.get(0);
            if (s.height() != first.height() || s.width() != first.width())
                throw new IllegalArgumentException("Concat of maps with different sizes: " + first + " and " + s);
            c += s.channels();
        }
        return List.of(new FeatureShape(c, first.height(), first.width()));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDList parts = new NDList(inputs.size());
        for (NDList in : inputs) parts.add(in.head());
        return new NDList(Ops.concat(parts));
    }
}
