package io.dydet.nn;

import ai.djl.ndarray.NDArray;

/** Folding BatchNorm into the preceding convolution (design.md, Fused model): W' = W * g/std, b' = beta - mean * g/std. */
final class Fusion {
    private Fusion() {}

    /** Returns {weight, bias} of the folded convolution; bn is a view with weight, bias, running_mean/var. */
    static NDArray[] foldBatchNorm(NDArray weight, Weights bn) {
        NDArray std = bn.get("running_var").add(Ops.BN_EPS).sqrt();
        NDArray scale = bn.get("weight").div(std);
        NDArray w = weight.mul(scale.reshape(-1, 1, 1, 1));
        NDArray b = bn.get("bias").sub(bn.get("running_mean").mul(scale));
        return new NDArray[] {w, b};
    }
}
