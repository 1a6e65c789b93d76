package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.dydet.engine.check.ConvShape;
import java.util.ArrayList;
import java.util.List;

/**
 * Composite-connection projection (design.md, Layers): one 1x1 convolution with bias, no BN, no activation, whose output
 * is split into chunks of the listed widths; chunk j feeds stage j of the second backbone. Keys conv.weight/bias.
 */
public record CbLinear(int in, List<Integer> outs) implements Layer {
    public CbLinear {
        outs = List.copyOf(outs);
    }

    int total() {
        return outs.stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public String module() {
        return "CBLinear";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(ParamSpec.param("conv.weight", total(), in, 1, 1), ParamSpec.param("conv.bias", total()));
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        List<FeatureShape> out = new ArrayList<>();
        for (int c : outs) out.add(new FeatureShape(c, s.height(), s.width()));
        return out;
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return s.height() * s.width() * (long) total() * in;
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(ConvShape.same(in, total(), 1, 1, s.height(), s.width()));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray y = Ops.conv(inputs.get(0).head(), w.get("conv.weight"), w.get("conv.bias"), 1, 0);
        if (outs.size() == 1) return new NDList(y);
        long[] splitPoints = new long[outs.size() - 1];
        long acc = 0;
        for (int i = 0; i < splitPoints.length; i++) {
            acc += outs.get(i);
            splitPoints[i] = acc;
        }
        return y.split(splitPoints, 1);
    }
}
