package io.dydet.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per route, the outputs that die after each layer: those whose last reader it is. First-backbone outputs are
 * never released here (the router and the other route of a mixed batch read them), nor are the head outputs.
 *
 * @param backbone1 inside the first backbone, whichever route follows
 * @param routes    inside each route's own sections
 */
record Releases(Map<Node, List<Source>> backbone1, Map<Route, Map<Node, List<Source>>> routes) {

    /** The releases of a network's layer outputs, computed once per model. */
    static Releases of(Network net) {
        Map<Route, Map<Node, List<Source>>> out = new EnumMap<>(Route.class);
        // first-backbone outputs read only inside the first backbone die there, whatever the route
        Set<Source> readOutside = new HashSet<>();
        for (Section s : List.of(Section.DUAL, Section.D1, Section.D2))
            for (Node n : net.nodes(s)) readOutside.addAll(n.sources());
        for (int idx : net.spec().routerIns()) readOutside.add(new Source(Section.B1, idx));
        readOutside.add(new Source(Section.B1, net.nodes(Section.B1).size() - 1));
        Map<Source, Node> lastInB1 = new LinkedHashMap<>();
        for (Node n : net.nodes(Section.B1)) for (Source src : n.sources()) lastInB1.put(src, n);
        Map<Node, List<Source>> b1Dead = new IdentityHashMap<>();
        lastInB1.forEach((src, node) -> {
            if (!src.isInput() && !readOutside.contains(src))
                b1Dead.computeIfAbsent(node, k -> new ArrayList<>()).add(src);
        });
        for (Route r : Route.values()) {
            List<Section> order = r == Route.ROUTE1 ? List.of(Section.D1) : List.of(Section.DUAL, Section.D2);
            Map<Source, Node> last = new LinkedHashMap<>();
            for (Section s : order) for (Node n : net.nodes(s)) for (Source src : n.sources()) last.put(src, n);
            Map<Node, List<Source>> dead = new IdentityHashMap<>();
            last.forEach((src, node) -> {
                if (src.isInput() || src.section() == Section.B1) return;
                dead.computeIfAbsent(node, k -> new ArrayList<>()).add(src);
            });
            out.put(r, dead);
        }
        return new Releases(b1Dead, out);
    }
}
