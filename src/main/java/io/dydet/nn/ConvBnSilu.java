package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.check.ConvShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The cfg's {@code Conv}: conv k x k (no bias, "same" padding k/2) -> BatchNorm -> SiLU. Keys conv.weight, bn.*. */
public record ConvBnSilu(int in, int out, int kernel, int stride) implements Layer {
    @Override
    public String module() {
        return "Conv";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.param("conv.weight", out, in, kernel, kernel),
                ParamSpec.param("bn.weight", out),
                ParamSpec.param("bn.bias", out),
                ParamSpec.buffer("bn.running_mean", out),
                ParamSpec.buffer("bn.running_var", out),
                ParamSpec.counter("bn.num_batches_tracked"));
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        int p = kernel / 2;
        return List.of(new FeatureShape(
                out, Ops.outSize(s.height(), kernel, stride, p), Ops.outSize(s.width(), kernel, stride, p)));
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        return outputShapes(inputs).get(0).elements() * in * kernel * kernel;
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
        NDArray y = Ops.conv(x, w.get("conv.weight"), null, stride, kernel / 2);
        NDArray normalised = Ops.batchNorm(y, w.sub("bn."), mode);
        NDArray out = Ops.silu(normalised, mode);
        Ops.releaseInTraining(mode, y, normalised);
        return out;
    }

    @Override
    public Layer fused() {
        return new FusedConv(in, out, kernel, stride);
    }

    @Override
    public Map<String, NDArray> fuseWeights(Weights w, NDManager manager) {
        NDArray[] wb = Fusion.foldBatchNorm(w.get("conv.weight"), w.sub("bn."));
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("conv.weight", wb[0]);
        m.put("conv.bias", wb[1]);
        return m;
    }
}
