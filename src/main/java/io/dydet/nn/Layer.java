package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.check.ConvShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of a model definition. Layers are immutable: they describe shapes and computation, while the tensors
 * come from {@link Weights} at forward time, named exactly as the original state dict names them.
 *
 * <p>Every input is a list of arrays: a plain feature map is a list of one; a CBLinear output is the list of its
 * chunks. Every layer returns one such list.
 */
public interface Layer {
    /** The module name as written in the cfg, e.g. {@code Conv}. */
    String module();

    /** Tensors owned by this layer, with names relative to the layer's prefix, in state-dict order. */
    List<ParamSpec> params();

    /** Output shapes (one per output array) for the given input shapes. */
    List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs);

    /** Multiply-accumulates of the convolutions for one image of the given input shapes. */
    default long macs(List<List<FeatureShape>> inputs) {
        return 0;
    }

    /** The convolutions this layer runs for one image of the given input shapes (for the engine check). */
    default List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        return List.of();
    }

    NDList forward(List<NDList> inputs, Weights weights, Mode mode);

    /** The deploy form of this layer (BN folded, branches merged); the layer itself when nothing folds. */
    default Layer fused() {
        return this;
    }

    /** Tensors of {@link #fused()}, computed from this layer's tensors; names relative to the prefix. */
    default Map<String, NDArray> fuseWeights(Weights weights, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (ParamSpec p : params()) out.put(p.name(), weights.get(p.name()));
        return out;
    }

    static FeatureShape single(List<List<FeatureShape>> inputs) {
        return inputs.get(0).get(0);
    }
}
