package io.dydet.model;

import io.dydet.nn.Layer;
import java.util.List;

/** A layer placed in the network: its section and index (hence its key prefix) and its resolved sources. */
public record Node(Section section, int index, Layer layer, List<Source> sources) {
    public Node {
        sources = List.copyOf(sources);
    }

    /** The state-dict prefix of this layer's tensors, e.g. {@code model_h.51.}. */
    public String prefix() {
        return section.keyPrefix() + "." + index + ".";
    }

    Node withLayer(Layer l) {
        return new Node(section, index, l, sources);
    }
}
