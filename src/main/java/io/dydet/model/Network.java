package io.dydet.model;

import ai.djl.ndarray.types.Shape;
import io.dydet.engine.check.ConvShape;
import io.dydet.nn.AdaptiveRouter;
import io.dydet.nn.FeatureShape;
import io.dydet.nn.IDetect;
import io.dydet.nn.ParamSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cascaded network a cfg describes, with every {@code from} resolved to a (section, index) and every layer's
 * channels inferred exactly as the original's parse_model does (design.md, Model definition). Holds no tensors.
 */
public final class Network {
    /** Module names a cfg may use. */
    public static final List<String> KNOWN_MODULES = List.of(
            "Conv", "MP", "SPPCSPC", "RepConv", "ReOrg", "Concat", "nn.Upsample", "CBLinear", "CBFuse", "IDetect");

    private final ModelSpec spec;
    private final Map<Section, List<Node>> nodes;
    private final AdaptiveRouter router;
    private final boolean fused;
    /** MACs per section by input size: routing per image asks for the same few sizes over and over. */
    private final Map<String, Map<Section, Long>> macsBySize = new ConcurrentHashMap<>();

    Network(ModelSpec spec, Map<Section, List<Node>> nodes, AdaptiveRouter router, boolean fused) {
        this.spec = spec;
        this.nodes = nodes;
        this.router = router;
        this.fused = fused;
    }

    public ModelSpec spec() {
        return spec;
    }

    public List<Node> nodes(Section s) {
        return nodes.get(s);
    }

    /** The router, or null for a step-1 (non-dynamic) definition. */
    public AdaptiveRouter router() {
        return router;
    }

    public boolean isDynamic() {
        return router != null;
    }

    public boolean isFused() {
        return fused;
    }

    /** The detection layer of the first (D1) or second (D2) head. */
    public IDetect detect(Section head) {
        List<Node> h = nodes.get(head);
        return (IDetect) h.get(h.size() - 1).layer();
    }

    public Node detectNode(Section head) {
        List<Node> h = nodes.get(head);
        return h.get(h.size() - 1);
    }

    public int classes() {
        return spec.nc();
    }

    public List<Integer> strides() {
        return detect(Section.D1).strides();
    }

    /** The largest stride: input sizes must be multiples of it. */
    public int maxStride() {
        return strides().stream().mapToInt(Integer::intValue).max().orElse(32);
    }

    /** Returns {@code size} if this network takes it as image size (a positive multiple of its largest stride), else throws saying so. */
    public int checkImageSize(int size) {
        if (size <= 0 || size % maxStride() != 0)
            throw new IllegalArgumentException(
                    "--img " + size + " must be a positive multiple of the model's largest stride " + maxStride());
        return size;
    }

    /** Throws unless {@code shape} is a batch (B, inChannels, H, W) with H and W multiples of the largest stride. */
    void checkInputShape(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != spec.inChannels()) {
            throw new IllegalArgumentException("input must be (B, " + spec.inChannels() + ", H, W), got " + shape);
        }
        int stride = maxStride();
        long h = shape.get(2), w = shape.get(3);
        if (h % stride != 0 || w % stride != 0) {
            throw new IllegalArgumentException(
                    "input size " + h + "x" + w + " must be a multiple of the model's largest stride " + stride);
        }
    }

    /** The deploy form: Conv+BN folded, RepConv merged, implicit layers folded into the detection convs. */
    public Network fused() {
        if (fused) return this;
        Map<Section, List<Node>> f = new EnumMap<>(Section.class);
        nodes.forEach((s, list) ->
                f.put(s, list.stream().map(n -> n.withLayer(n.layer().fused())).toList()));
        return new Network(spec, f, router, true);
    }

    /** Every tensor of the state dict, in state-dict order (router first), with full key names. */
    public List<ParamSpec> stateDictSpec() {
        List<ParamSpec> out = new ArrayList<>();
        if (router != null) for (ParamSpec p : router.params()) out.add(p.prefixed("router."));
        for (Section s : Section.values()) {
            for (Node n : nodes.get(s)) for (ParamSpec p : n.layer().params()) out.add(p.prefixed(n.prefix()));
        }
        return out;
    }

    /** Trainable parameter counts per part: b1, b2 (with CBLinear), head1, head2, router. */
    public Map<String, Long> parameterCounts() {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("b1", count(Section.B1));
        out.put("b2", count(Section.DUAL));
        out.put("head1", count(Section.D1));
        out.put("head2", count(Section.D2));
        long r = 0;
        if (router != null) for (ParamSpec p : router.params()) r += p.shape().size();
        out.put("router", r);
        return out;
    }

    private long count(Section s) {
        long c = 0;
        for (Node n : nodes.get(s))
            for (ParamSpec p : n.layer().params())
                if (p.trainable()) c += p.shape().size();
        return c;
    }

    /** Output shapes of every layer for one image of the given size, per section. */
    public Map<Section, List<List<FeatureShape>>> shapes(long height, long width) {
        Map<Section, List<List<FeatureShape>>> out = new EnumMap<>(Section.class);
        List<FeatureShape> input = List.of(new FeatureShape(spec.inChannels(), height, width));
        for (Section s : Section.values()) {
            List<List<FeatureShape>> list = new ArrayList<>();
            out.put(s, list);
            for (Node n : nodes.get(s)) {
                List<List<FeatureShape>> in = new ArrayList<>();
                for (Source src : n.sources())
                    in.add(src.isInput() ? input : out.get(src.section()).get(src.index()));
                try {
                    list.add(n.layer().outputShapes(in));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(
                            spec.source() + ", " + n.prefix() + " (" + n.layer().module() + ") at input " + height + "x"
                                    + width + ": " + e.getMessage(),
                            e);
                }
            }
        }
        return out;
    }

    /**
     * The distinct convolutions of every section and of the router for one image of the given size, in the order they
     * first run: what the engine check must find right before this network runs on it.
     */
    public List<ConvShape> convShapes(long height, long width) {
        Map<Section, List<List<FeatureShape>>> shapes = shapes(height, width);
        List<FeatureShape> input = List.of(new FeatureShape(spec.inChannels(), height, width));
        Set<ConvShape> out = new LinkedHashSet<>();
        for (Section s : Section.values()) {
            for (Node n : nodes.get(s)) out.addAll(n.layer().convShapes(inputShapes(n, shapes, input)));
        }
        if (router != null) out.addAll(router.convShapes());
        return List.copyOf(out);
    }

    /** Multiply-accumulates per section for one image, plus the router's under key null. */
    public Map<Section, Long> macs(long height, long width) {
        return macsBySize.computeIfAbsent(height + "x" + width, k -> computeMacs(height, width));
    }

    private Map<Section, Long> computeMacs(long height, long width) {
        Map<Section, List<List<FeatureShape>>> shapes = shapes(height, width);
        List<FeatureShape> input = List.of(new FeatureShape(spec.inChannels(), height, width));
        Map<Section, Long> out = new EnumMap<>(Section.class);
        for (Section s : Section.values()) {
            long m = 0;
            for (Node n : nodes.get(s)) m += n.layer().macs(inputShapes(n, shapes, input));
            out.put(s, m);
        }
        return Collections.unmodifiableMap(out);
    }

    /** The shapes a node reads: the image's, or those of the layers it takes its inputs from. */
    private static List<List<FeatureShape>> inputShapes(
            Node n, Map<Section, List<List<FeatureShape>>> shapes, List<FeatureShape> input) {
        List<List<FeatureShape>> in = new ArrayList<>();
        for (Source src : n.sources())
            in.add(src.isInput() ? input : shapes.get(src.section()).get(src.index()));
        return in;
    }

    /** GFLOPs (2 x conv MACs / 1e9) of one route for one image, router included when the model has one. */
    public double gflops(Route route, long height, long width) {
        Map<Section, Long> m = macs(height, width);
        long total = m.get(Section.B1) + (router != null ? router.macs() : 0);
        total += route == Route.ROUTE1 ? m.get(Section.D1) : m.get(Section.DUAL) + m.get(Section.D2);
        return 2.0 * total / 1e9;
    }

    // ---------------------------------------------------------------------------------------------- building

    /** Builds the network of a cfg; throws {@link ConfigException} naming file, section and row on any problem. */
    public static Network build(ModelSpec spec) {
        return new NetworkBuilder(spec).build();
    }

    static int makeDivisible(double x, int divisor) {
        return (int) (Math.ceil(x / divisor) * divisor);
    }
}
