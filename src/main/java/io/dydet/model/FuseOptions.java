package io.dydet.model;

import java.util.Objects;

/**
 * How {@link DynamicDetModel#fuse(ai.djl.ndarray.NDManager, FuseOptions)} builds the deploy form (design.md, Fused
 * model, Model options).
 *
 * @param precision        the number format of the convolutions
 * @param channelsLastOnCpu store convolution weights (and feed inputs) channels-last when the target is the CPU,
 *                         where oneDNN runs it faster; other devices always keep the default layout
 */
public record FuseOptions(Precision precision, boolean channelsLastOnCpu) {
    public FuseOptions {
        Objects.requireNonNull(precision, "precision");
    }

    /** float32, channels-last on CPU unless the system property {@code dydet.nchw} is true (kept for old scripts). */
    public static FuseOptions defaults() {
        return new FuseOptions(Precision.FLOAT32, !Boolean.getBoolean("dydet.nchw"));
    }

    public FuseOptions withPrecision(Precision p) {
        return new FuseOptions(p, channelsLastOnCpu);
    }

    public FuseOptions withChannelsLastOnCpu(boolean on) {
        return new FuseOptions(precision, on);
    }
}
