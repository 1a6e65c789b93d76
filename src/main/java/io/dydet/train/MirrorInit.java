package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Node;
import io.dydet.model.Section;
import io.dydet.nn.ParamSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts route 2 as an exact copy of route 1: the second backbone and second head take the first ones' weights
 * (layer by layer, in order) and the composite connections (CBLinear) start at zero, so CBFuse adds nothing and
 * both routes compute the same thing. Training then grows the connections from there.
 *
 * <p>Why: trained from scratch, route 2 is twice as deep as route 1 and learns much more slowly; on short runs it
 * ends up worse than route 1 (measured on the demo data after 30 epochs: mAP@.5 0.080 against 0.174), which
 * inverts DynamicDet's trade-off. From a mirrored start route 2 learns at route 1's pace and can only add to it.
 * Not the original's recipe (it trains both from scratch over 300 epochs); an option of step 1. It also turns a
 * trained single-backbone model loaded into route 1 into a dual one.
 */
public final class MirrorInit {
    private MirrorInit() {}

    /** Copies route 1 into route 2 and zeroes the composite connections; returns the number of tensors copied. */
    public static int apply(DynamicDetModel model) {
        Map<String, NDArray> state = model.stateDict();
        List<Node> first = withParams(model.network().nodes(Section.B1), false);
        List<Node> second = withParams(model.network().nodes(Section.DUAL), true);
        List<Node> head1 = withParams(model.network().nodes(Section.D1), false);
        List<Node> head2 = withParams(model.network().nodes(Section.D2), false);
        int copied = copyLayers(state, first, second, "backbone") + copyLayers(state, head1, head2, "head");
        for (Node n : model.network().nodes(Section.DUAL)) {
            if (!isConnection(n)) continue;
            for (ParamSpec p : n.layer().params())
                state.get(n.prefix() + p.name()).set(new NDIndex("..."), 0f);
        }
        return copied;
    }

    private static int copyLayers(Map<String, NDArray> state, List<Node> from, List<Node> to, String what) {
        if (from.size() != to.size()) {
            throw new IllegalArgumentException("cannot mirror the " + what + ": route 1 has " + from.size()
                    + " layers with weights, route 2 " + to.size());
        }
        int copied = 0;
        for (int i = 0; i < from.size(); i++) {
            Node a = from.get(i), b = to.get(i);
            List<ParamSpec> pa = a.layer().params(), pb = b.layer().params();
            if (!a.layer().module().equals(b.layer().module()) || pa.size() != pb.size()) {
                throw new IllegalArgumentException("cannot mirror the " + what + ": " + a.prefix() + " ("
                        + a.layer().module() + ") does not match " + b.prefix() + " ("
                        + b.layer().module() + ")");
            }
            for (int k = 0; k < pa.size(); k++) {
                ParamSpec sa = pa.get(k), sb = pb.get(k);
                if (!sa.name().equals(sb.name()) || !sa.shape().equals(sb.shape())) {
                    throw new IllegalArgumentException("cannot mirror the " + what + ": " + a.prefix() + sa.name() + " "
                            + sa.shape() + " vs " + b.prefix() + sb.name() + " " + sb.shape());
                }
                // each head keeps its own anchors (autoanchor fits the second head's)
                if (sa.name().contains("anchor")) continue;
                state.get(b.prefix() + sb.name()).set(new NDIndex("..."), state.get(a.prefix() + sa.name()));
                copied++;
            }
        }
        return copied;
    }

    private static List<Node> withParams(List<Node> nodes, boolean skipConnections) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.layer().params().isEmpty()) continue;
            if (skipConnections && isConnection(n)) continue;
            out.add(n);
        }
        return out;
    }

    private static boolean isConnection(Node n) {
        return n.layer().module().equals("CBLinear");
    }
}
