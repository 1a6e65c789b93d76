package io.dydet.onnx;

import ai.djl.ndarray.NDArray;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Network;
import io.dydet.model.Node;
import io.dydet.model.Section;
import io.dydet.model.Source;
import io.dydet.nn.AdaptiveRouter;
import io.dydet.nn.CbFuse;
import io.dydet.nn.CbLinear;
import io.dydet.nn.Concat;
import io.dydet.nn.FeatureShape;
import io.dydet.nn.FusedConv;
import io.dydet.nn.IDetect;
import io.dydet.nn.Layer;
import io.dydet.nn.MaxPool;
import io.dydet.nn.ReOrg;
import io.dydet.nn.RepConvFused;
import io.dydet.nn.Sppcspc;
import io.dydet.nn.Upsample;
import io.dydet.onnx.GraphBuilder.Dim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The deploy-form model as three ONNX graphs with dynamic batch and spatial sizes; the routing stays outside them.
 * {@code route1_stem}: image to the first backbone's features that the rest reads, and the router's easiness score;
 * {@code route1_head}: those features to head 1's decoded predictions; {@code route2}: image and features to head 2's
 * decoded predictions through CBLinear, the second backbone and head 2.
 */
public final class OnnxExport {
    public static final String IMAGES = "images";
    public static final String SCORE = "score";
    public static final String PREDICTIONS = "predictions";
    private static final long END = Long.MAX_VALUE;

    /** The three graphs (serialized ModelProto) and how they connect. */
    public record Graphs(byte[] route1Stem, byte[] route1Head, byte[] route2, Layout layout) {}

    /**
     * Names and shapes of the pieces' tensors: the stem's feature outputs (one per first-backbone layer read outside
     * it), and which of them each head takes.
     */
    public record Layout(
            List<Feature> features,
            List<String> route1HeadInputs,
            List<String> route2Inputs,
            boolean dynamic,
            int outputs) {}

    /** A first-backbone output passed between graphs: name, layer index, channels and stride to the image. */
    public record Feature(String name, int index, long channels, int stride) {}

    private OnnxExport() {}

    private static String featureName(int b1Index) {
        return "b1_" + b1Index;
    }

    /** Exports a fused (deploy-form) model; its tensors are read, not changed. */
    public static Graphs export(DynamicDetModel model) {
        Network net = model.network();
        if (!net.isFused())
            throw new IllegalArgumentException("export the deploy form: DynamicDetModel.fuse(...) first");
        Map<String, NDArray> state = model.stateDict();
        // first-backbone outputs each later piece reads
        TreeSet<Integer> forHead1 = new TreeSet<>(), forRoute2 = new TreeSet<>();
        boolean head1ReadsImage = false, route2ReadsImage = false;
        for (Node n : net.nodes(Section.D1)) {
            for (Source s : n.sources()) {
                if (s.isInput()) head1ReadsImage = true;
                else if (s.section() == Section.B1) forHead1.add(s.index());
            }
        }
        for (Section sec : List.of(Section.DUAL, Section.D2)) {
            for (Node n : net.nodes(sec)) {
                for (Source s : n.sources()) {
                    if (s.isInput()) route2ReadsImage = true;
                    else if (s.section() == Section.B1) forRoute2.add(s.index());
                }
            }
        }
        TreeSet<Integer> exported = new TreeSet<>(forHead1);
        exported.addAll(forRoute2);
        List<Feature> features = new ArrayList<>();
        int probe = 64 * net.maxStride(); // any size that every stride divides
        List<List<FeatureShape>> b1 = net.shapes(probe, probe).get(Section.B1);
        for (int idx : exported) {
            FeatureShape s = b1.get(idx).get(0);
            features.add(new Feature(featureName(idx), idx, s.channels(), (int) (probe / s.height())));
        }

        // route1_stem
        GraphBuilder stem = new GraphBuilder("route1_stem");
        Emitter e = new Emitter(stem, state);
        stem.input(IMAGES, Dim.of("batch"), Dim.of(net.spec().inChannels()), Dim.of("height"), Dim.of("width"));
        e.values.put(Source.INPUT, List.of(IMAGES));
        e.section(net, Section.B1);
        if (net.isDynamic()) {
            stem.rename(e.router(net.router(), net.spec().routerIns()), SCORE);
            stem.output(SCORE, Dim.of("batch"), Dim.of(1));
        }
        for (Feature f : features) {
            stem.rename(e.values.get(new Source(Section.B1, f.index())).get(0), f.name());
            stem.output(
                    f.name(),
                    Dim.of("batch"),
                    Dim.of(f.channels()),
                    Dim.of("height/" + f.stride()),
                    Dim.of("width/" + f.stride()));
        }

        // route1_head
        GraphBuilder h1 = new GraphBuilder("route1_head");
        List<String> h1Inputs = inputs(h1, net, features, forHead1, head1ReadsImage);
        Emitter e1 = new Emitter(h1, state);
        bind(e1, features, forHead1, head1ReadsImage);
        e1.section(net, Section.D1);
        int no = net.detect(Section.D1).outputsPerAnchor();
        h1.rename(
                e1.values
                        .get(new Source(Section.D1, net.detectNode(Section.D1).index()))
                        .get(0),
                PREDICTIONS);
        h1.output(PREDICTIONS, Dim.of("batch"), Dim.of("boxes"), Dim.of(no));

        // route2
        GraphBuilder h2 = new GraphBuilder("route2");
        List<String> h2Inputs = inputs(h2, net, features, forRoute2, route2ReadsImage);
        Emitter e2 = new Emitter(h2, state);
        bind(e2, features, forRoute2, route2ReadsImage);
        e2.section(net, Section.DUAL);
        e2.section(net, Section.D2);
        h2.rename(
                e2.values
                        .get(new Source(Section.D2, net.detectNode(Section.D2).index()))
                        .get(0),
                PREDICTIONS);
        h2.output(PREDICTIONS, Dim.of("batch"), Dim.of("boxes"), Dim.of(no));

        String doc = "dydet export of " + net.spec().name() + ": ";
        Layout layout = new Layout(features, h1Inputs, h2Inputs, net.isDynamic(), no);
        return new Graphs(
                stem.toModel(doc + "route1_stem"), h1.toModel(doc + "route1_head"), h2.toModel(doc + "route2"), layout);
    }

    private static List<String> inputs(
            GraphBuilder g, Network net, List<Feature> features, TreeSet<Integer> used, boolean image) {
        List<String> names = new ArrayList<>();
        if (image) {
            g.input(IMAGES, Dim.of("batch"), Dim.of(net.spec().inChannels()), Dim.of("height"), Dim.of("width"));
            names.add(IMAGES);
        }
        for (Feature f : features) {
            if (!used.contains(f.index())) continue;
            g.input(
                    f.name(),
                    Dim.of("batch"),
                    Dim.of(f.channels()),
                    Dim.of("height/" + f.stride()),
                    Dim.of("width/" + f.stride()));
            names.add(f.name());
        }
        return names;
    }

    private static void bind(Emitter e, List<Feature> features, TreeSet<Integer> used, boolean image) {
        if (image) e.values.put(Source.INPUT, List.of(IMAGES));
        for (Feature f : features)
            if (used.contains(f.index())) e.values.put(new Source(Section.B1, f.index()), List.of(f.name()));
    }

    /** Emits layers as ONNX nodes, keeping the value names of every layer output. */
    private static final class Emitter {
        final GraphBuilder g;
        final Map<String, NDArray> state;
        final Map<Source, List<String>> values = new HashMap<>();

        Emitter(GraphBuilder g, Map<String, NDArray> state) {
            this.g = g;
            this.state = state;
        }

        void section(Network net, Section s) {
            for (Node n : net.nodes(s)) {
                List<List<String>> in = new ArrayList<>();
                for (Source src : n.sources()) {
                    List<String> v = values.get(src);
                    if (v == null)
                        throw new IllegalStateException(
                                n.prefix() + " reads " + src + ", which this graph does not have");
                    in.add(v);
                }
                values.put(new Source(s, n.index()), layer(n.layer(), n.prefix(), in));
            }
        }

        private String w(String key) {
            NDArray a = state.get(key);
            if (a == null) throw new IllegalStateException("no tensor " + key + " in the model");
            return g.weight(key, a);
        }

        private List<String> layer(Layer layer, String prefix, List<List<String>> in) {
            String x = in.get(0).get(0);
            if (layer instanceof FusedConv c) return List.of(convSilu(x, prefix, c.kernel(), c.stride()));
            if (layer instanceof RepConvFused c) return List.of(silu(conv(x, prefix + "rbr_reparam.", 3, c.stride())));
            if (layer instanceof MaxPool)
                return List.of(g.node("MaxPool", x, "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}));
            if (layer instanceof Concat) {
                List<String> parts = new ArrayList<>();
                for (List<String> v : in) parts.add(v.get(0));
                return List.of(parts.size() == 1 ? parts.get(0) : g.node("Concat", parts, "axis", 1L));
            }
            if (layer instanceof Upsample u)
                return List.of(resize(x, g.floats("scales", new float[] {1, 1, u.scale(), u.scale()}, 4), null));
            if (layer instanceof ReOrg) {
                List<String> parts = new ArrayList<>();
                for (long[] start : new long[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
                    parts.add(g.node("Slice", List.of(x, g.ints(start), g.ints(END, END), g.ints(2, 3), g.ints(2, 2))));
                }
                return List.of(g.node("Concat", parts, "axis", 1L));
            }
            if (layer instanceof Sppcspc) return List.of(sppcspc(x, prefix));
            if (layer instanceof CbLinear c) {
                String y = conv(x, prefix + "conv.", 1, 1);
                if (c.outs().size() == 1) return List.of(y);
                long[] sizes = c.outs().stream().mapToLong(Integer::longValue).toArray();
                return g.nodes("Split", List.of(y, g.ints(sizes)), sizes.length, "axis", 1L);
            }
            if (layer instanceof CbFuse f) {
                String target = in.get(in.size() - 1).get(0);
                String targetHw = g.node("Slice", List.of(g.node("Shape", target), g.ints(2), g.ints(4), g.ints(0)));
                String acc = target;
                for (int k = 0; k < f.chunkIndex().size(); k++) {
                    String chunk = in.get(k).get(f.chunkIndex().get(k));
                    String chunkBc = g.node("Slice", List.of(g.node("Shape", chunk), g.ints(0), g.ints(2), g.ints(0)));
                    String sizes = g.node("Concat", List.of(chunkBc, targetHw), "axis", 0L);
                    acc = g.node("Add", List.of(acc, resize(chunk, null, sizes)));
                }
                return List.of(acc);
            }
            if (layer instanceof IDetect d) return List.of(detect(d, prefix, in));
            throw new IllegalArgumentException("no ONNX form for module " + layer.module() + " ("
                    + layer.getClass().getSimpleName() + ")");
        }

        private String conv(String x, String weightPrefix, int k, int stride) {
            long p = k / 2;
            return g.node(
                    "Conv",
                    List.of(x, w(weightPrefix + "weight"), w(weightPrefix + "bias")),
                    "kernel_shape",
                    new long[] {k, k},
                    "strides",
                    new long[] {stride, stride},
                    "pads",
                    new long[] {p, p, p, p});
        }

        private String silu(String x) {
            return g.node("Mul", List.of(x, g.node("Sigmoid", x)));
        }

        private String convSilu(String x, String prefix, int k, int stride) {
            return silu(conv(x, prefix + "conv.", k, stride));
        }

        /** PyTorch's nearest: source index floor(dst * in / out). */
        private String resize(String x, String scales, String sizes) {
            List<String> ins = new ArrayList<>(List.of(x, "", scales == null ? "" : scales));
            if (sizes != null) ins.add(sizes);
            return g.node(
                    "Resize",
                    ins,
                    "mode",
                    "nearest",
                    "coordinate_transformation_mode",
                    "asymmetric",
                    "nearest_mode",
                    "floor");
        }

        private String sppcspc(String x, String prefix) {
            String x1 = convSilu(
                    convSilu(convSilu(x, prefix + "cv1.", 1, 1), prefix + "cv3.", 3, 1), prefix + "cv4.", 1, 1);
            List<String> pyramid = new ArrayList<>(List.of(x1));
            for (long k : new long[] {5, 9, 13}) {
                long p = k / 2;
                pyramid.add(g.node(
                        "MaxPool",
                        x1,
                        "kernel_shape",
                        new long[] {k, k},
                        "strides",
                        new long[] {1, 1},
                        "pads",
                        new long[] {p, p, p, p}));
            }
            String y1 = convSilu(
                    convSilu(g.node("Concat", pyramid, "axis", 1L), prefix + "cv5.", 1, 1), prefix + "cv6.", 3, 1);
            String y2 = convSilu(x, prefix + "cv2.", 1, 1);
            return convSilu(g.node("Concat", List.of(y1, y2), "axis", 1L), prefix + "cv7.", 1, 1);
        }

        /** Head convolutions and the decode: centre and size in input pixels, objectness and class probabilities. */
        private String detect(IDetect d, String prefix, List<List<String>> in) {
            int na = d.na(), no = d.outputsPerAnchor();
            float[] anchorGrid = state.get(prefix + "anchor_grid").toFloatArray(); // (nl, 1, na, 1, 1, 2)
            List<String> levels = new ArrayList<>();
            for (int i = 0; i < d.levels(); i++) {
                String y = g.node(
                        "Conv",
                        List.of(in.get(i).get(0), w(prefix + "m." + i + ".weight"), w(prefix + "m." + i + ".bias")),
                        "kernel_shape",
                        new long[] {1, 1});
                String r = g.node("Reshape", List.of(y, g.ints(0, na, no, -1)));
                String s = g.node(
                        "Sigmoid", g.node("Transpose", r, "perm", new long[] {0, 1, 3, 2})); // (B, na, ny*nx, no)
                String shape = g.node("Shape", y);
                String ny = g.node("Gather", List.of(shape, g.intScalar(2)), "axis", 0L);
                String nx = g.node("Gather", List.of(shape, g.intScalar(3)), "axis", 0L);
                String cells = g.node("Range", List.of(g.intScalar(0), g.node("Mul", List.of(ny, nx)), g.intScalar(1)));
                String gx = g.node("Unsqueeze", List.of(g.node("Mod", List.of(cells, nx)), g.ints(1)));
                String gy = g.node("Unsqueeze", List.of(g.node("Div", List.of(cells, nx)), g.ints(1)));
                String grid = g.node("Cast", g.node("Concat", List.of(gx, gy), "axis", 1L), "to", (long)
                        ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT.getNumber());
                String xy = g.node("Slice", List.of(s, g.ints(0), g.ints(2), g.ints(3)));
                String wh = g.node("Slice", List.of(s, g.ints(2), g.ints(4), g.ints(3)));
                String rest = g.node("Slice", List.of(s, g.ints(4), g.ints(END), g.ints(3)));
                String xyPx = g.node(
                        "Mul",
                        List.of(
                                g.node(
                                        "Add",
                                        List.of(
                                                g.node(
                                                        "Sub",
                                                        List.of(
                                                                g.node("Mul", List.of(xy, g.scalar(2f))),
                                                                g.scalar(0.5f))),
                                                grid)),
                                g.scalar(d.strides().get(i))));
                float[] anchors = new float[na * 2];
                System.arraycopy(anchorGrid, i * na * 2, anchors, 0, na * 2);
                String wh2 = g.node("Mul", List.of(wh, g.scalar(2f)));
                String whPx = g.node(
                        "Mul", List.of(g.node("Mul", List.of(wh2, wh2)), g.floats("anchors", anchors, 1, na, 1, 2)));
                String cat = g.node("Concat", List.of(xyPx, whPx, rest), "axis", 3L);
                levels.add(g.node("Reshape", List.of(cat, g.ints(0, -1, no))));
            }
            return levels.size() == 1 ? levels.get(0) : g.node("Concat", levels, "axis", 1L);
        }

        /** The router's easiness score (B, 1) from the spatial means of the chosen first-backbone outputs. */
        String router(AdaptiveRouter router, List<Integer> ins) {
            List<String> means = new ArrayList<>();
            for (int idx : ins)
                means.add(g.node(
                        "ReduceMean",
                        values.get(new Source(Section.B1, idx)).get(0),
                        "axes",
                        new long[] {2, 3},
                        "keepdims",
                        1L));
            String pooled = means.size() == 1 ? means.get(0) : g.node("Concat", means, "axis", 1L);
            String h = g.node(
                    "Relu",
                    g.node(
                            "Conv",
                            List.of(pooled, w("router.layer1.weight"), w("router.layer1.bias")),
                            "kernel_shape",
                            new long[] {1, 1}));
            String logit = g.node(
                    "Conv", List.of(h, w("router.layer2.weight"), w("router.layer2.bias")), "kernel_shape", new long[] {
                        1, 1
                    });
            return g.node("Flatten", g.node("Sigmoid", logit), "axis", 1L);
        }
    }
}
