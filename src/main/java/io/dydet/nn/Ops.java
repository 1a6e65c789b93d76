package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.dydet.engine.Layouts;
import io.dydet.engine.NativeOps;

/** The tensor operations the layers share, with the original's numerics (BN eps 1e-3, momentum 0.03). */
public final class Ops {
    /** BatchNorm epsilon set by the original's weight initialisation (not PyTorch's 1e-5). */
    public static final float BN_EPS = 1e-3f;
    /** PyTorch momentum 0.03; DJL's batchNorm takes the complement. */
    public static final float BN_MOMENTUM_TORCH = 0.03f;
    /** Fewest channels for which bfloat16 training keeps BatchNorm channels-last (see {@link #batchNormTrain}). */
    static final int MIN_CHANNELS_LAST_BN = 16;

    private Ops() {}

    public static NDArray conv(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        if (NativeOps.isBFloat16(x) && !NativeOps.isBFloat16(weight)) {
            // mixed precision: the float32 weights are cast per pass; their gradients flow back through the cast, and
            // autograd keeps the cast copies the backward needs
            NDArray w16 = NativeOps.toBFloat16(weight), b16 = bias == null ? null : NativeOps.toBFloat16(bias);
            NDArray y = conv2d(x, w16, b16, stride, padding);
            w16.close();
            if (b16 != null) b16.close();
            return y;
        }
        return conv2d(x, weight, bias, stride, padding);
    }

    private static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return Conv2d.conv2d(
                        x, weight, bias, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** BatchNorm over channels; in TRAIN mode it normalises with batch statistics, updates the running ones and counts the batch. */
    public static NDArray batchNorm(NDArray x, Weights bn, Mode mode) {
        if (mode.training()) return batchNormTrain(x, bn);
        return batchNormKernel(x, bn, false);
    }

    /**
     * libtorch's batch_norm, called directly for PyTorch arrays: DJL's wrapper adds two no-op transposes (and their
     * backward nodes) around it. JniUtils names its parameters gamma, beta, mean, var but passes them on as mean,
     * var, gamma, beta, the order used here; its momentum is PyTorch's.
     */
    private static NDArray batchNormKernel(NDArray x, Weights bn, boolean training) {
        NDArray mean = bn.get("running_mean"), var = bn.get("running_var");
        NDArray gamma = bn.get("weight"), beta = bn.get("bias");
        if (x instanceof PtNDArray px
                && mean instanceof PtNDArray pm
                && var instanceof PtNDArray pv
                && gamma instanceof PtNDArray pg
                && beta instanceof PtNDArray pb) {
            return JniUtils.batchNorm(px, pm, pv, pg, pb, training, BN_MOMENTUM_TORCH, BN_EPS);
        }
        return BatchNorm.batchNorm(x, mean, var, gamma, beta, 1, 1f - BN_MOMENTUM_TORCH, BN_EPS, training)
                .singletonOrThrow();
    }

    /**
     * Training-mode BatchNorm: libtorch's fused kernel (one pass each way, gradients through the batch statistics,
     * running statistics updated in place), fed NCHW-contiguous memory. oneDNN hands some convolution outputs back
     * channels-last, and libtorch 2.7's channels-last statistics accumulate in float32: on the golden training batch
     * that drifted 10x further from the original than the contiguous path, whose statistics accumulate in float64.
     * The reshape round trip is free for contiguous input and one copy otherwise.
     */
    static NDArray batchNormTrain(NDArray x, Weights bn) {
        NDArray y;
        if (NativeOps.isBFloat16(x)
                && (x.getShape().get(1) >= MIN_CHANNELS_LAST_BN || x.getDevice().isGpu())) {
            // bfloat16 input with float32 parameters and statistics (libtorch's mixed-type kernel), channels-last kept
            y = batchNormKernel(x, bn, true);
        } else {
            try (NDArray flat = x.reshape(-1);
                    NDArray nchw = flat.reshape(x.getShape())) {
                y = batchNormKernel(nchw, bn, true);
            }
            if (NativeOps.isBFloat16(x)) {
                // libtorch's channels-last backward takes ~25x longer than the NCHW one with few channels (the
                // 8-channel stem of a width-0.25 model at 320 px: 0.36-0.42 s against 0.015 s): NCHW there,
                // channels-last after
                NDArray nchwOut = y;
                y = Layouts.channelsLast(nchwOut);
                nchwOut.close();
            }
        }
        NDArray tracked = bn.get("num_batches_tracked");
        if (tracked != null) tracked.addi(1);
        return y;
    }

    /**
     * In training, closes Java's handles on a layer's intermediate arrays: autograd keeps what the backward needs and
     * frees it as the backward passes, instead of the step's manager holding everything to the step's end (the peak
     * memory of a width-1.0 step-1 step at batch 4 fell from 5.9 to 4.x GiB). Nothing in eval mode, where some
     * operators work in place and an intermediate may be the output.
     */
    static void releaseInTraining(Mode mode, NDArray... intermediates) {
        if (!mode.training()) return;
        for (NDArray a : intermediates) if (a != null) a.close();
    }

    /** x * sigmoid(x). In eval mode the product is written into x (saves an allocation per layer). */
    public static NDArray silu(NDArray x, Mode mode) {
        if (!mode.training() && NativeOps.siluInPlace(x)) return x;
        if (mode.training()) {
            NDArray y = NativeOps.silu(x);
            if (y != null) return y;
        }
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
