package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.EnumMap;
import java.util.Map;

/**
 * The outputs of every layer run so far in one forward pass. A trace made for a subset of a batch reads the
 * first backbone's outputs from its parent and slices them on first use.
 */
public final class Trace {
    private final NDArray input;
    private final Map<Section, NDList[]> outputs = new EnumMap<>(Section.class);
    private final Trace parent;
    private final NDArray rows;
    NDArray pooled;
    NDArray score;

    Trace(NDArray input, Network network) {
        this(input, network, null, null);
    }

    private Trace(NDArray input, Network network, Trace parent, NDArray rows) {
        this.input = input;
        this.parent = parent;
        this.rows = rows;
        for (Section s : Section.values())
            outputs.put(s, new NDList[network.nodes(s).size()]);
    }

    /** A trace for the images {@code rows} (int64 indices into this batch). */
    Trace subset(NDArray rows, Network network) {
        return new Trace(input.get(new NDIndex("{}", rows)), network, this, rows);
    }

    public NDArray input() {
        return input;
    }

    /** The output of layer (section, index), or null when it has not run. */
    public NDList output(Section s, int index) {
        NDList[] arr = outputs.get(s);
        if (arr[index] == null && parent != null) {
            NDList p = parent.output(s, index);
            if (p != null) {
                NDList sliced = new NDList(p.size());
                for (NDArray a : p) sliced.add(a.get(new NDIndex("{}", rows)));
                arr[index] = sliced;
            }
        }
        return arr[index];
    }

    NDList get(Source src) {
        if (src.isInput()) return new NDList(input);
        NDList out = output(src.section(), src.index());
        if (out == null) throw new IllegalStateException(src + " has not run in this pass");
        return out;
    }

    /** Frees an output nobody reads any more. */
    void release(Source src) {
        NDList[] arr = outputs.get(src.section());
        NDList out = arr[src.index()];
        if (out != null) {
            out.close();
            arr[src.index()] = null;
        }
    }

    /** Closes every layer output but those in {@code keep}: what autograd saved for the backward stays alive there. */
    void releaseAllBut(java.util.Set<Source> keep) {
        for (var e : outputs.entrySet()) {
            NDList[] arr = e.getValue();
            for (int i = 0; i < arr.length; i++) {
                if (arr[i] != null && !keep.contains(new Source(e.getKey(), i))) release(new Source(e.getKey(), i));
            }
        }
    }

    void put(Section s, int index, NDList out) {
        outputs.get(s)[index] = out;
    }

    /** The router's input, (B, sum of router channels), when the router ran. */
    public NDArray routerPooled() {
        return pooled;
    }

    /** The router's easiness scores (B, 1), when the router ran. */
    public NDArray score() {
        return score;
    }
}
