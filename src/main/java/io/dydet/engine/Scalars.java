package io.dydet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.function.BinaryOperator;

/**
 * Arithmetic with a scalar operand that is safe inside an autograd graph.
 *
 * <p>DJL's {@code NDArray.mul(Number)} (and div, pow, maximum, minimum) wraps the scalar in a tensor that borrows a
 * Java direct buffer and closes it as soon as the op returns. Autograd keeps that tensor for the backward pass, and
 * once the garbage collector frees the buffer the backward reads whatever lies there: gradients of 7.5e35 and NaN,
 * at random, after a collection (reproduced by {@code ScalarsTest}). Here the scalar is a tensor the engine
 * allocates itself, so the graph's reference keeps it alive. Outside a graph (optimiser steps, inference with
 * gradients off) DJL's overloads are fine.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d tensor of {@code like}'s type on its device, in engine-owned memory. */
    public static NDArray of(NDArray like, float value) {
        NDArray s = like.getManager().full(new Shape(), value, like.getDataType());
        if (s.getDevice().equals(like.getDevice())) return s;
        NDArray moved = s.toDevice(like.getDevice(), true);
        s.close();
        return moved;
    }

    public static NDArray mul(NDArray x, float value) {
        return apply(x, value, NDArray::mul);
    }

    public static NDArray div(NDArray x, float value) {
        return apply(x, value, NDArray::div);
    }

    public static NDArray pow(NDArray x, float exponent) {
        return apply(x, exponent, NDArray::pow);
    }

    public static NDArray maximum(NDArray x, float value) {
        return apply(x, value, NDArray::maximum);
    }

    public static NDArray minimum(NDArray x, float value) {
        return apply(x, value, NDArray::minimum);
    }

    private static NDArray apply(NDArray x, float value, BinaryOperator<NDArray> op) {
        try (NDArray s = of(x, value)) {
            return op.apply(x, s);
        }
    }
}
