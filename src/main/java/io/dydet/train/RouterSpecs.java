package io.dydet.train;

import io.dydet.model.LayerRow;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Section;
import io.dydet.nn.FeatureShape;
import java.util.ArrayList;
import java.util.List;

/**
 * The step-2 form of a definition: a step-1 definition (no router) gets the router of the built-in definition
 * whose first backbone has the same layers, reading the same backbone layers; its channels are those layers'
 * actual widths (so any --width works). A definition that already has a router is returned as it is.
 */
final class RouterSpecs {
    private RouterSpecs() {}

    static ModelSpec withRouter(ModelSpec spec) {
        if (spec.dynamic()) return spec;
        List<String> modules = modules(spec);
        for (String name : ModelSpec.BUILT_IN) {
            ModelSpec builtIn = ModelSpec.builtIn(name);
            if (!modules(builtIn).equals(modules)) continue;
            List<List<FeatureShape>> b1 = Network.build(spec).shapes(256, 256).get(Section.B1);
            List<Integer> channels = new ArrayList<>();
            for (int idx : builtIn.routerIns())
                channels.add((int) b1.get(idx).get(0).channels());
            String newName = spec.name().replace("-step1", "");
            return spec.toBuilder()
                    .name(newName)
                    .source(spec.source() + " + router of " + name)
                    .dynamic(true)
                    .routerIns(builtIn.routerIns())
                    .routerChannels(channels)
                    .routerReduction(builtIn.routerReduction())
                    .build();
        }
        throw new IllegalArgumentException(spec.source()
                + " has no router and its first backbone matches none of the built-in models " + ModelSpec.BUILT_IN
                + "; add 'dynamic: True', 'router_ins' and 'router_channels' to the definition");
    }

    private static List<String> modules(ModelSpec spec) {
        List<String> out = new ArrayList<>();
        for (LayerRow r : spec.rows(Section.B1)) out.add(r.module() + r.from());
        return out;
    }
}
