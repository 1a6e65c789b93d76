package io.dydet.model;

import io.dydet.nn.AdaptiveRouter;
import io.dydet.nn.CbFuse;
import io.dydet.nn.CbLinear;
import io.dydet.nn.Concat;
import io.dydet.nn.ConvBnSilu;
import io.dydet.nn.FeatureShape;
import io.dydet.nn.IDetect;
import io.dydet.nn.Layer;
import io.dydet.nn.MaxPool;
import io.dydet.nn.ReOrg;
import io.dydet.nn.RepConv;
import io.dydet.nn.Sppcspc;
import io.dydet.nn.Upsample;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Network} from a cfg: resolves every {@code from} to a (section, index) and infers every layer's
 * channels as the original's parse_model does; throws {@link ConfigException} naming file, section and row.
 */
final class NetworkBuilder {
    private final ModelSpec spec;
    private final Map<Section, List<Node>> nodes = new EnumMap<>(Section.class);
    /** Output channel lists per section and index (CBLinear has several). */
    private final Map<Section, List<List<Integer>>> channels = new EnumMap<>(Section.class);

    private final int na;
    private final int no;

    NetworkBuilder(ModelSpec spec) {
        this.spec = spec;
        this.na = spec.anchors().get(0).size() / 2;
        this.no = spec.nc() + 5;
    }

    Network build() {
        for (Section s : Section.values()) {
            nodes.put(s, new ArrayList<>());
            channels.put(s, new ArrayList<>());
            for (LayerRow row : spec.rows(s)) add(row);
        }
        for (Section head : List.of(Section.D1, Section.D2)) {
            List<Node> h = nodes.get(head);
            if (h.isEmpty() || !(h.get(h.size() - 1).layer() instanceof IDetect))
                throw new ConfigException(
                        spec.source() + ": section '" + head.yamlKey() + "' must end with an IDetect row");
        }
        AdaptiveRouter router = null;
        if (spec.dynamic()) router = router();
        Network draft = new Network(spec, nodes, router, false);
        List<Integer> strides = strides(draft);
        for (Section head : List.of(Section.D1, Section.D2)) {
            List<Node> h = nodes.get(head);
            Node last = h.get(h.size() - 1);
            h.set(h.size() - 1, last.withLayer(((IDetect) last.layer()).withStrides(strides)));
        }
        Map<Section, List<Node>> frozen = new EnumMap<>(Section.class);
        nodes.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
        return new Network(spec, frozen, router, false);
    }

    /** Strides from a 256 x 256 dry run of the first head's inputs, as the original measures them. */
    private List<Integer> strides(Network draft) {
        Map<Section, List<List<FeatureShape>>> shapes = draft.shapes(256, 256);
        Node det = draft.detectNode(Section.D1);
        List<Integer> strides = new ArrayList<>();
        for (Source s : det.sources()) {
            long h = shapes.get(s.section()).get(s.index()).get(0).height();
            strides.add((int) (256 / h));
        }
        return strides;
    }

    private AdaptiveRouter router() {
        List<Integer> ins = spec.routerIns();
        List<List<Integer>> b1 = channels.get(Section.B1);
        for (int i = 0; i < ins.size(); i++) {
            int idx = ins.get(i);
            if (idx < 0 || idx >= b1.size())
                throw new ConfigException(spec.source() + ": router_ins[" + i + "] = " + idx
                        + " is not a backbone layer (0.." + (b1.size() - 1) + ")");
            int have = b1.get(idx).get(0);
            int want = spec.routerChannels().get(i);
            if (have != want)
                throw new ConfigException(spec.source() + ": router_channels[" + i + "] = " + want
                        + " but backbone layer " + idx + " has " + have
                        + " channels (router_channels must equal the widths of the router_ins layers)");
        }
        return new AdaptiveRouter(spec.routerChannels(), spec.routerReduction());
    }

    private void add(LayerRow row) {
        String where = row.where() + " (" + row.module() + ")";
        if (!Network.KNOWN_MODULES.contains(row.module())) {
            throw new ConfigException(row.where() + ": unknown module '" + row.module() + "'; known modules: "
                    + String.join(", ", Network.KNOWN_MODULES));
        }
        if (row.number() != 1 && !row.module().equals("SPPCSPC")) {
            int n = Math.max((int) Math.round(row.number() * spec.depthMultiple()), 1);
            if (n != 1)
                throw new ConfigException(where + ": repeated layers (number " + row.number()
                        + ") are not used by DynamicDet cfgs and not supported");
        }
        List<Source> sources = new ArrayList<>();
        for (Object f : row.from()) sources.add(resolve(row, f));
        List<List<Integer>> inCh = new ArrayList<>();
        for (Source s : sources)
            inCh.add(
                    s.isInput()
                            ? List.of(spec.inChannels())
                            : channels.get(s.section()).get(s.index()));
        Layer layer = layer(row, where, sources, inCh);
        nodes.get(row.section()).add(new Node(row.section(), row.index(), layer, sources));
        channels.get(row.section()).add(outChannels(layer, inCh));
    }

    private List<Integer> outChannels(Layer layer, List<List<Integer>> in) {
        if (layer instanceof CbLinear c) return c.outs();
        if (layer instanceof Concat)
            return List.of(in.stream().mapToInt(l -> l.get(0)).sum());
        if (layer instanceof ConvBnSilu c) return List.of(c.out());
        if (layer instanceof RepConv c) return List.of(c.out());
        if (layer instanceof Sppcspc c) return List.of(c.out());
        if (layer instanceof ReOrg) return List.of(4 * in.get(0).get(0));
        if (layer instanceof CbFuse) return List.of(in.get(in.size() - 1).get(0));
        if (layer instanceof IDetect d) return List.of(d.na() * d.outputsPerAnchor());
        return List.of(in.get(0).get(0));
    }

    private Layer layer(LayerRow row, String where, List<Source> sources, List<List<Integer>> inCh) {
        List<Object> a = row.args();
        switch (row.module()) {
            case "Conv", "RepConv", "SPPCSPC" -> {
                single(where, sources, inCh);
                int c1 = inCh.get(0).get(0);
                int c2 = scaled(where, intArg(where, a, 0, null));
                if (row.module().equals("SPPCSPC")) return new Sppcspc(c1, c2, false);
                int k = intArg(where, a, 1, 1), s = intArg(where, a, 2, 1);
                if (row.module().equals("Conv")) return new ConvBnSilu(c1, c2, k, s);
                if (k != 3) throw new ConfigException(where + ": RepConv kernel must be 3, got " + k);
                return new RepConv(c1, c2, k, s);
            }
            case "MP" -> {
                single(where, sources, inCh);
                return new MaxPool();
            }
            case "ReOrg" -> {
                single(where, sources, inCh);
                return new ReOrg();
            }
            case "nn.Upsample" -> {
                single(where, sources, inCh);
                int scale = a.size() > 1 && a.get(1) instanceof Number n ? n.intValue() : 2;
                String mode = a.size() > 2 ? String.valueOf(a.get(2)) : "nearest";
                if (!mode.equals("nearest"))
                    throw new ConfigException(where + ": only 'nearest' upsampling is supported, got '" + mode + "'");
                return new Upsample(scale);
            }
            case "Concat" -> {
                int dim = a.isEmpty() ? 1 : intArg(where, a, 0, 1);
                if (dim != 1)
                    throw new ConfigException(where + ": Concat must join channels (dimension 1), got " + dim);
                for (List<Integer> c : inCh)
                    if (c.size() != 1)
                        throw new ConfigException(where + ": Concat source is a CBLinear output (a list of chunks)");
                return new Concat();
            }
            case "CBLinear" -> {
                single(where, sources, inCh);
                if (a.isEmpty() || !(a.get(0) instanceof List<?> l) || l.isEmpty())
                    throw new ConfigException(where + ": CBLinear args must be [[c1, c2, ...]], got " + a);
                List<Integer> outs = new ArrayList<>();
                for (Object o : l) {
                    if (!(o instanceof Integer i) || i < 1)
                        throw new ConfigException(where + ": CBLinear widths must be positive integers, got " + l);
                    outs.add(i);
                }
                return new CbLinear(inCh.get(0).get(0), outs);
            }
            case "CBFuse" -> {
                if (a.isEmpty() || !(a.get(0) instanceof List<?> l))
                    throw new ConfigException(where + ": CBFuse args must be [[chunk indices]], got " + a);
                List<Integer> idx = new ArrayList<>();
                for (Object o : l) {
                    if (!(o instanceof Integer i))
                        throw new ConfigException(where + ": CBFuse chunk indices must be integers, got " + l);
                    idx.add(i);
                }
                if (sources.size() != idx.size() + 1)
                    throw new ConfigException(where + ": CBFuse lists " + idx.size()
                            + " chunk indices, so 'from' needs " + (idx.size() + 1)
                            + " entries (the CBLinear layers, then the target), got " + sources.size());
                for (int k = 0; k < idx.size(); k++) {
                    List<Integer> ch = inCh.get(k);
                    if (idx.get(k) < 0 || idx.get(k) >= ch.size())
                        throw new ConfigException(where + ": source " + sources.get(k) + " has " + ch.size()
                                + " chunk(s), chunk " + idx.get(k) + " requested");
                    int target = inCh.get(inCh.size() - 1).get(0);
                    if (ch.get(idx.get(k)) != target)
                        throw new ConfigException(
                                where + ": chunk " + idx.get(k) + " of " + sources.get(k) + " has "
                                        + ch.get(idx.get(k))
                                        + " channels but the target " + sources.get(sources.size() - 1) + " has "
                                        + target
                                        + " (the CBLinear widths must equal the second backbone's; with width_multiple < 1 scale them too)");
                }
                return new CbFuse(idx);
            }
            case "IDetect" -> {
                int nc = a.isEmpty() || "nc".equals(a.get(0)) ? spec.nc() : intArg(where, a, 0, spec.nc());
                if (nc != spec.nc())
                    throw new ConfigException(where + ": IDetect nc " + nc + " differs from the cfg's nc " + spec.nc());
                List<Integer> chs = new ArrayList<>();
                for (List<Integer> c : inCh) chs.add(c.get(0));
                if (chs.size() != spec.anchors().size())
                    throw new ConfigException(where + ": IDetect reads " + chs.size() + " levels but 'anchors' has "
                            + spec.anchors().size());
                return new IDetect(nc, na, chs, List.of(), false);
            }
            default ->
                throw new ConfigException(row.where() + ": unknown module '" + row.module() + "'; known modules: "
                        + String.join(", ", Network.KNOWN_MODULES));
        }
    }

    private int scaled(String where, int c2) {
        if (c2 == na * no) return c2;
        return Network.makeDivisible(c2 * spec.widthMultiple(), 8);
    }

    private static void single(String where, List<Source> sources, List<List<Integer>> inCh) {
        if (sources.size() != 1)
            throw new ConfigException(where + ": expects one source, 'from' lists " + sources.size());
        if (inCh.get(0).size() != 1)
            throw new ConfigException(where + ": its source " + sources.get(0)
                    + " is a CBLinear output (a list of chunks); only CBFuse reads those");
    }

    private static int intArg(String where, List<Object> a, int i, Integer dflt) {
        if (i >= a.size()) {
            if (dflt == null) throw new ConfigException(where + ": missing argument " + i + " in " + a);
            return dflt;
        }
        if (!(a.get(i) instanceof Integer v))
            throw new ConfigException(where + ": argument " + i + " must be an integer, got " + a.get(i));
        return v;
    }

    /** design.md, Model definition: negative = relative within the section; non-negative = B1, except plain ints in head2 (dual). */
    private Source resolve(LayerRow row, Object f) {
        Section s = row.section();
        int i = row.index();
        int n1 = spec.nFirstLayers();
        if (f instanceof String str) {
            if (!str.equals("input"))
                throw new ConfigException(
                        row.where() + ": bad from entry '" + str + "' (expected an integer or 'input')");
            if (s == Section.B1 && i == 0) return Source.INPUT;
            if (s != Section.DUAL)
                throw new ConfigException(row.where() + ": 'input' can only be read by dual_backbone rows");
            if (!spec.keepInput())
                throw new ConfigException(row.where() + ": reads 'input' but the cfg does not set keep_input: True");
            return Source.INPUT;
        }
        int v = (Integer) f;
        if (v < 0) {
            int pos = i + v;
            if (s == Section.B1) {
                if (pos >= 0) return new Source(Section.B1, pos);
                if (i == 0 && v == -1) return Source.INPUT;
            } else if (s == Section.DUAL) {
                if (pos >= 0) return new Source(Section.DUAL, pos);
                if (n1 + pos >= 0) return new Source(Section.B1, n1 + pos);
            } else if (pos >= 0) {
                return new Source(s, pos);
            }
            throw new ConfigException(row.where() + ": bad from index " + v + ": it points before the first layer of '"
                    + s.yamlKey() + "'");
        }
        Section target = (s == Section.D2 && !row.fromIsList()) ? Section.DUAL : Section.B1;
        int available = target == s
                ? i
                : (target == Section.B1
                        ? (s == Section.B1 ? i : spec.rows(Section.B1).size())
                        : nodes.get(Section.DUAL).size());
        if (v >= available) {
            throw new ConfigException(row.where() + ": bad from index " + v + ": '" + target.yamlKey()
                    + "' has layers 0.." + (available - 1) + (target == s ? " before this row" : ""));
        }
        return new Source(target, v);
    }
}
