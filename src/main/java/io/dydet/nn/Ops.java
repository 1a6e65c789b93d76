package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import io.dydet.engine.Layouts;
import io.dydet.engine.NativeOps;
import io.dydet.engine.Scalars;

/** The tensor operations the layers share, with the original's numerics (BN eps 1e-3, momentum 0.03). */
public final class Ops {
    /** BatchNorm epsilon set by the original's weight initialisation (not PyTorch's 1e-5). */
    public static final float BN_EPS = 1e-3f;
    /** PyTorch momentum 0.03; DJL's batchNorm takes the complement. */
    public static final float BN_MOMENTUM_TORCH = 0.03f;

    private Ops() {}

    public static NDArray conv(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return Conv2d.conv2d(
                        x, weight, bias, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** BatchNorm over channels; in TRAIN mode it normalises with batch statistics, updates the running ones and counts the batch. */
    public static NDArray batchNorm(NDArray x, Weights bn, Mode mode) {
        if (mode.training()) return batchNormTrain(x, bn);
        return BatchNorm.batchNorm(
                        x,
                        bn.get("running_mean"),
                        bn.get("running_var"),
                        bn.get("weight"),
                        bn.get("bias"),
                        1,
                        1f - BN_MOMENTUM_TORCH,
                        BN_EPS,
                        false)
                .singletonOrThrow();
    }

    /**
     * Training-mode BatchNorm, differentiable through the batch statistics as PyTorch's. The statistics are taken in
     * two passes (the mean, then the mean of squared deviations): libtorch 2.7's own kernel drifted 10x further from
     * the reference (torch 1.13 on CPU) than the reference's float32-vs-float64 gap over tiny batches and ~100 layers,
     * while the two-pass statistics stay within the golden tolerances (measured on the golden training batch).
     */
    static NDArray batchNormTrain(NDArray x, Weights bn) {
        Shape s = x.getShape();
        long b = s.get(0), c = s.get(1);
        long n = s.size() / c;
        // means over (B, H, W) as a mean over H*W, then over B (equal counts; DJL's mean takes one axis)
        NDArray grouped = x.reshape(b, c, -1);
        NDArray mean = grouped.mean(new int[] {2}).mean(new int[] {0});
        NDArray var =
                grouped.sub(mean.reshape(1, c, 1)).square().mean(new int[] {2}).mean(new int[] {0});
        NDArray std = var.add(BN_EPS).sqrt();
        NDArray gamma = bn.get("weight"), beta = bn.get("bias");
        // 1 / std with an engine-owned numerator (a DJL scalar overload would leave the backward a freed operand)
        NDArray scale = std.onesLike().div(std).mul(gamma);
        // the batch-derived operand comes first so results belong to this step's manager, not the model's
        NDArray shift = mean.mul(scale).neg().add(beta);
        NDArray y = x.mul(scale.reshape(1, c, 1, 1)).add(shift.reshape(1, c, 1, 1));
        try (NDArray m = mean.stopGradient();
                NDArray v = var.stopGradient()) {
            float keep = 1f - BN_MOMENTUM_TORCH;
            NDArray rm = bn.get("running_mean"), rv = bn.get("running_var");
            NDArray newMean = Scalars.mul(m, BN_MOMENTUM_TORCH);
            NDArray newVar = Scalars.mul(v, (float) (BN_MOMENTUM_TORCH * (double) n / Math.max(n - 1, 1)));
            rm.muli(keep).addi(newMean);
            rv.muli(keep).addi(newVar);
            newMean.close();
            newVar.close();
        }
        NDArray tracked = bn.get("num_batches_tracked");
        if (tracked != null) tracked.addi(1);
        return y;
    }

    /** x * sigmoid(x). In eval mode the product is written into x (saves an allocation per layer). */
    public static NDArray silu(NDArray x, Mode mode) {
        if (!mode.training() && NativeOps.siluInPlace(x)) return x;
        NDArray s = Activation.sigmoid(x);
        if (mode.training()) return x.mul(s);
        x.muli(s);
        s.close();
        return x;
    }

    public static NDArray maxPool(NDArray x, int kernel, int stride, int padding) {
        return Pool.maxPool2d(
                x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(padding, padding), false);
    }

    public static NDArray concat(NDList parts) {
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
    }

    /** Nearest-neighbour resize to (h, w) with PyTorch's rule src = floor(dst * in / out). */
    public static NDArray resizeNearest(NDArray x, long h, long w) {
        Shape s = x.getShape();
        long ih = s.get(2), iw = s.get(3);
        if (ih == h && iw == w) return x;
        // libtorch's nearest kernel keeps the channels-last layout (repeat would not) and is exact for any ratio
        return x.getNDArrayInternal().interpolation(new long[] {h, w}, 0, false);
    }

    /** The same NCHW tensor with channels-last (NHWC) memory (see {@link io.dydet.engine.Layouts#channelsLast}). */
    public static NDArray toChannelsLast(NDArray x) {
        return Layouts.channelsLast(x);
    }

    /** Output size of a convolution or pooling window along one axis. */
    static long outSize(long in, int kernel, int stride, int padding) {
        return (in + 2L * padding - kernel) / stride + 1;
    }
}
