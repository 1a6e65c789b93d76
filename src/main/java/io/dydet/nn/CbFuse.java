package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * Composite-connection fusion (design.md, Layers): target + sum over k of chunk idx[k] of the k-th CBLinear output,
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
            throw new IllegalArgumentException(
                    "CBFuse with " + chunkIndex.size() + " chunk indices needs " + (chunkIndex.size() + 1)
                            + " sources (the CBLinear outputs, then the target), got " + inputs.size());
        }
        FeatureShape target = inputs.get(inputs.size() - 1).get(0);
        for (int k = 0; k < chunkIndex.size(); k++) {
            List<FeatureShape> chunks = inputs.get(k);
            int idx = chunkIndex.get(k);
            if (idx < 0 || idx >= chunks.size())
                throw new IllegalArgumentException(
                        "CBFuse source " + k + " has " + chunks.size() + " chunks, index " + idx + " requested");
            if (chunks.get(idx).channels() != target.channels())
                throw new IllegalArgumentException("CBFuse source " + k + " chunk " + idx + " has "
                        + chunks.get(idx).channels() + " channels but the target has " + target.channels()
                        + " (CBLinear widths must equal the second backbone's)");
        }
        return List.of(target);
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray target = inputs.get(inputs.size() - 1).head();
        long h = target.getShape().get(2), wd = target.getShape().get(3);
        // starting from the target keeps its memory layout (channels-last in deploy form); a stack-and-sum, as the
        // reference writes it, would fall back to NCHW and make every following convolution reorder its input
        NDArray acc = null;
        for (int k = 0; k < chunkIndex.size(); k++) {
            NDArray term = Ops.resizeNearest(inputs.get(k).get(chunkIndex.get(k)), h, wd);
            if (acc == null) acc = target.add(term);
            else if (mode.training()) acc = acc.add(term);
            else acc.addi(term);
        }
        return new NDList(acc == null ? target : acc);
    }
}
