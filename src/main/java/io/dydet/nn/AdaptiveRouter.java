package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.dydet.engine.check.ConvShape;
import java.util.List;

/**
 * The adaptive router (design.md, Routing): global-average-pool each chosen first-backbone feature, concatenate,
 * 1x1 conv d -> d/reduction, ReLU, 1x1 conv -> 1, sigmoid. Its output is the EASINESS score s in (0, 1):
 * an image takes route 1 iff s >= threshold. Keys router.layer1.weight/bias, router.layer2.weight/bias.
 */
public record AdaptiveRouter(List<Integer> channels, int reduction) {
    public AdaptiveRouter {
        channels = List.copyOf(channels);
        if (reduction < 1) throw new IllegalArgumentException("router_reduction must be >= 1, got " + reduction);
    }

    public int inputWidth() {
        return channels.stream().mapToInt(Integer::intValue).sum();
    }

    public int hiddenWidth() {
        return inputWidth() / reduction;
    }

    public List<ParamSpec> params() {
        int d = inputWidth(), h = hiddenWidth();
        return List.of(
                ParamSpec.param("layer1.weight", h, d, 1, 1),
                ParamSpec.param("layer1.bias", h),
                ParamSpec.param("layer2.weight", 1, h, 1, 1),
                ParamSpec.param("layer2.bias", 1));
    }

    public long macs() {
        long d = inputWidth(), h = hiddenWidth();
        return d * h + h;
    }

    /** Its two 1x1 convolutions on the pooled features (for the engine check). */
    public List<ConvShape> convShapes() {
        return List.of(
                ConvShape.same(inputWidth(), hiddenWidth(), 1, 1, 1, 1), ConvShape.same(hiddenWidth(), 1, 1, 1, 1, 1));
    }

    /** The router's input: spatial means of the features, concatenated, shape (B, d). */
    public NDArray pool(List<NDArray> features) {
        NDList means = new NDList(features.size());
        for (NDArray f : features) {
            Shape s = f.getShape();
            means.add(f.reshape(s.get(0), s.get(1), -1).mean(new int[] {2}));
        }
        return Ops.concat(means);
    }

    /** Easiness scores (B, 1) from pooled features (B, d). */
    public NDArray score(NDArray pooled, Weights w) {
        long bs = pooled.getShape().get(0);
        NDArray x = pooled.reshape(bs, -1, 1, 1);
        NDArray h = Activation.relu(Ops.conv(x, w.get("layer1.weight"), w.get("layer1.bias"), 1, 0));
        NDArray logit =
                Ops.conv(h, w.get("layer2.weight"), w.get("layer2.bias"), 1, 0).reshape(bs, 1);
        return Activation.sigmoid(logit);
    }
}
