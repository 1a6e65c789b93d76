package io.dydet.nn;

import ai.djl.ndarray.NDList;
import io.dydet.engine.check.ConvShape;
import java.util.List;

/** Deploy form of {@link RepConv}: one 3x3 convolution with bias, then SiLU. Keys rbr_reparam.weight/bias. */
public record RepConvFused(int in, int out, int stride) implements Layer {
    @Override
    public String module() {
        return "RepConv";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(ParamSpec.param("rbr_reparam.weight", out, in, 3, 3), ParamSpec.param("rbr_reparam.bias", out));
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        return new ConvBnSilu(in, out, 3, stride).outputShapes(inputs);
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        return outputShapes(inputs).get(0).elements() * in * 9;
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(ConvShape.same(in, out, 3, stride, s.height(), s.width()));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        return new NDList(Ops.silu(
                Ops.conv(inputs.get(0).head(), w.get("rbr_reparam.weight"), w.get("rbr_reparam.bias"), stride, 1),
                mode));
    }
}
