package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.dydet.engine.check.ConvShape;
import java.util.List;

/** Deploy form of {@link ConvBnSilu}: BatchNorm folded into the convolution. Keys conv.weight, conv.bias. */
public record FusedConv(int in, int out, int kernel, int stride) implements Layer {
    @Override
    public String module() {
        return "Conv";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(ParamSpec.param("conv.weight", out, in, kernel, kernel), ParamSpec.param("conv.bias", out));
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        return new ConvBnSilu(in, out, kernel, stride).outputShapes(inputs);
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        return new ConvBnSilu(in, out, kernel, stride).macs(inputs);
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(ConvShape.same(in, out, kernel, stride, s.height(), s.width()));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        return new NDList(apply(inputs.get(0).head(), w, mode));
    }

    NDArray apply(NDArray x, Weights w, Mode mode) {
        return Ops.silu(Ops.conv(x, w.get("conv.weight"), w.get("conv.bias"), stride, kernel / 2), mode);
    }
}
