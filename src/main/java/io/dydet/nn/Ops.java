package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/** The tensor operations the layers share, with the original's numerics (BN eps 1e-3, momentum 0.03). */
public final class Ops {
    /** BatchNorm epsilon set by the original's weight initialisation (not PyTorch's 1e-5). */
    public static final float BN_EPS = 1e-3f;
    /** PyTorch momentum 0.03; DJL's batchNorm takes the complement. */
    public static final float BN_MOMENTUM_TORCH = 0.03f;

    private Ops() {}

    public static NDArray conv(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return Conv2d.conv2d(x, weight, bias, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** BatchNorm over channels; in TRAIN mode it updates running mean/var in place and counts the batch. */
    public static NDArray batchNorm(NDArray x, Weights bn, Mode mode) {
        NDArray mean = bn.get("running_mean");
        NDArray var = bn.get("running_var");
        NDList out = BatchNorm.batchNorm(x, mean, var, bn.get("weight"), bn.get("bias"), 1,
                1f - BN_MOMENTUM_TORCH, BN_EPS, mode.training());
        if (mode.training()) {
            NDArray tracked = bn.get("num_batches_tracked");
            if (tracked != null) tracked.addi(1);
        }
        return out.singletonOrThrow();
    }

    /** x * sigmoid(x). In eval mode the product is written into x (saves an allocation per layer). */
    public static NDArray silu(NDArray x, Mode mode) {
        NDArray s = Activation.sigmoid(x);
        if (mode.training()) return x.mul(s);
        x.muli(s);
        s.close();
        return x;
    }

    public static NDArray maxPool(NDArray x, int kernel, int stride, int padding) {
        return Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(padding, padding), false);
    }

    public static NDArray concat(NDList parts) {
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
    }

    /** Nearest-neighbour resize to (h, w) with PyTorch's rule src = floor(dst * in / out). */
    public static NDArray resizeNearest(NDArray x, long h, long w) {
        Shape s = x.getShape();
        long ih = s.get(2), iw = s.get(3);
        if (ih == h && iw == w) return x;
        if (h % ih == 0 && w % iw == 0) {
            NDArray r = x;
            if (h != ih) r = r.repeat(2, h / ih);
            if (w != iw) r = r.repeat(3, w / iw);
            return r;
        }
        return x.getNDArrayInternal().interpolation(new long[] {h, w}, 0, false);
    }

    /** Output size of a convolution or pooling window along one axis. */
    static long outSize(long in, int kernel, int stride, int padding) {
        return (in + 2L * padding - kernel) / stride + 1;
    }
}
