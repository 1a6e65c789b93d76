package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * Composite-connection fusion (spec 2.15): target + sum over k of chunk idx[k] of the k-th CBLinear output,
 * each resized (nearest) to the target's size. Inputs: the CBLinear outputs, then the target.
 */
public record CbFuse(List<Integer> chunkIndex) implements Layer {
    public CbFuse {
        chunkIndex = List.copyOf(chunkIndex);
    }

    @Override
    public String module() {
        return "CBFuse";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of();
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        if (inputs.size() != chunkIndex.size() + 1) {
            throw new IllegalArgumentException("CBFuse with " + chunkIndex.size() + " chunk indices needs "
                    + (chunkIndex.size() + 1) + " sources (the CBLinear outputs, then the target), got " + inputs.size());
        }
        FeatureShape target = inputs.get(inputs.size() - 1).get(0);
        for (int k = 0; k < chunkIndex.size(); k++) {
            List<FeatureShape> chunks = inputs.get(k);
            int idx = chunkIndex.get(k);
            if (idx < 0 || idx >= chunks.size())
                throw new IllegalArgumentException("CBFuse source " + k + " has " + chunks.size() + " chunks, index " + idx + " requested");
            if (chunks.get(idx).channels() != target.channels())
                throw new IllegalArgumentException("CBFuse source " + k + " chunk " + idx + " has " + chunks.get(idx).channels()
                        + " channels but the target has " + target.channels() + " (CBLinear widths must equal the second backbone's)");
        }
        return List.of(target);
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray target = inputs.get(inputs.size() - 1).head();
        long h = target.getShape().get(2), wd = target.getShape().get(3);
        NDList terms = new NDList(chunkIndex.size() + 1);
        for (int k = 0; k < chunkIndex.size(); k++) {
            terms.add(Ops.resizeNearest(inputs.get(k).get(chunkIndex.get(k)), h, wd));
        }
        terms.add(target);
        // the reference stacks and sums; adding in the same order keeps the float rounding the same
        return new NDList(NDArrays.stack(terms, 0).sum(new int[] {0}));
    }
}
