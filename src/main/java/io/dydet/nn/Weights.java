package io.dydet.nn;

import ai.djl.ndarray.NDArray;

/** Where a layer finds its tensors by their state-dict suffix. */
@FunctionalInterface
public interface Weights {
    NDArray get(String name);

    /** A view whose names are prefixed, e.g. {@code cv1.} inside SPPCSPC. */
    default Weights sub(String prefix) {
        Weights outer = this;
        return name -> outer.get(prefix + name);
    }
}
