package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.check.ConvShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RepVGG-style block (training form): SiLU(BN(conv3x3 x) + BN(conv1x1 x) [+ BN(x) when in == out and stride 1]).
 * Keys rbr_dense.0/1, rbr_1x1.0/1, rbr_identity. Its deploy form is one 3x3 convolution with bias.
 */
public record RepConv(int in, int out, int kernel, int stride) implements Layer {
    public RepConv {
        if (kernel != 3) throw new IllegalArgumentException("RepConv supports kernel 3 only, got " + kernel);
    }

    boolean hasIdentity() {
        return in == out && stride == 1;
    }

    @Override
    public String module() {
        return "RepConv";
    }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> p = new ArrayList<>();
        p.add(ParamSpec.param("rbr_dense.0.weight", out, in, 3, 3));
        addBn(p, "rbr_dense.1.", out);
        p.add(ParamSpec.param("rbr_1x1.0.weight", out, in, 1, 1));
        addBn(p, "rbr_1x1.1.", out);
        if (hasIdentity()) addBn(p, "rbr_identity.", in);
        return p;
    }

    private static void addBn(List<ParamSpec> p, String prefix, long c) {
        p.add(ParamSpec.param(prefix + "weight", c));
        p.add(ParamSpec.param(prefix + "bias", c));
        p.add(ParamSpec.buffer(prefix + "running_mean", c));
        p.add(ParamSpec.buffer(prefix + "running_var", c));
        p.add(ParamSpec.counter(prefix + "num_batches_tracked"));
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        return new ConvBnSilu(in, out, 3, stride).outputShapes(inputs);
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        long outElems = outputShapes(inputs).get(0).elements();
        return outElems * in * 9 + outElems * in;
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(
                ConvShape.same(in, out, 3, stride, s.height(), s.width()),
                ConvShape.same(in, out, 1, stride, s.height(), s.width()));
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray x = inputs.get(0).head();
        NDArray denseConv = Ops.conv(x, w.get("rbr_dense.0.weight"), null, stride, 1);
        NDArray dense = Ops.batchNorm(denseConv, w.sub("rbr_dense.1."), mode);
        NDArray oneConv = Ops.conv(x, w.get("rbr_1x1.0.weight"), null, stride, 0);
        NDArray one = Ops.batchNorm(oneConv, w.sub("rbr_1x1.1."), mode);
        NDArray sum = mode.training() ? dense.add(one) : dense.addi(one);
        Ops.releaseInTraining(mode, denseConv, dense, oneConv, one);
        if (hasIdentity()) {
            NDArray id = Ops.batchNorm(x, w.sub("rbr_identity."), mode);
            NDArray partial = sum;
            sum = mode.training() ? sum.add(id) : sum.addi(id);
            Ops.releaseInTraining(mode, id, partial);
        }
        NDArray out = Ops.silu(sum, mode);
        Ops.releaseInTraining(mode, sum);
        return new NDList(out);
    }

    @Override
    public Layer fused() {
        return new RepConvFused(in, out, stride);
    }

    @Override
    public Map<String, NDArray> fuseWeights(Weights w, NDManager manager) {
        NDArray[] dense = Fusion.foldBatchNorm(w.get("rbr_dense.0.weight"), w.sub("rbr_dense.1."));
        NDArray[] one = Fusion.foldBatchNorm(w.get("rbr_1x1.0.weight"), w.sub("rbr_1x1.1."));
        NDArray kernel = dense[0].add(centreTap(one[0], manager));
        NDArray bias = dense[1].add(one[1]);
        if (hasIdentity()) {
            NDArray eye = manager.eye(in).reshape(in, in, 1, 1);
            NDArray[] id = Fusion.foldBatchNorm(eye, w.sub("rbr_identity."));
            kernel = kernel.add(centreTap(id[0], manager));
            bias = bias.add(id[1]);
        }
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("rbr_reparam.weight", kernel);
        m.put("rbr_reparam.bias", bias);
        return m;
    }

    /** A 1x1 kernel placed at the centre of a zero 3x3 kernel. */
    private static NDArray centreTap(NDArray k1, NDManager manager) {
        long o = k1.getShape().get(0), i = k1.getShape().get(1);
        NDArray k3 = manager.zeros(new Shape(o, i, 3, 3), k1.getDataType(), k1.getDevice());
        k3.set(new NDIndex(":, :, 1, 1"), k1.reshape(o, i));
        return k3;
    }
}
