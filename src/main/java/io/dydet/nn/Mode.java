package io.dydet.nn;

/**
 * How a forward pass treats BatchNorm and the detection layer. {@code EVAL}: running statistics, decoded
 * predictions; {@code TRAIN}: batch statistics (running statistics updated, PyTorch momentum 0.03), raw outputs only.
 */
public enum Mode {
    EVAL,
    TRAIN;

    public boolean training() {
        return this == TRAIN;
    }
}
