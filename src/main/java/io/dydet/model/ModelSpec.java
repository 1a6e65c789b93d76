package io.dydet.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model definition in the original DynamicDet cfg format (spec section 3), as written: no channel is scaled
 * here. {@link Network#build(ModelSpec)} applies the original's parse rules.
 *
 * Its name is a short name (file name without extension, or the built-in name), its source where it came from (for
 * error messages), its anchors per level flat pixel pairs [w0, h0, w1, h1, ...]. Built by name ({@link #builder()},
 * {@link #toBuilder()}): a definition has too many parts to spell in order.
 */
public final class ModelSpec {
    private final String name;
    private final String source;
    private final int nc;
    private final double depthMultiple;
    private final double widthMultiple;
    private final List<List<Double>> anchors;
    private final Map<Section, List<LayerRow>> rows;
    private final int nFirstLayers;
    private final List<Integer> b1Save;
    private final List<Integer> b2Save;
    private final boolean keepInput;
    private final boolean dynamic;
    private final List<Integer> routerIns;
    private final List<Integer> routerChannels;
    private final int routerReduction;
    private final int inChannels;

    /** dydet's built-in definitions; each also exists in its step-1 form as {@code <name>-step1}. */
    public static final List<String> BUILT_IN = List.of("dy-yolov7", "dy-yolov7x", "dy-yolov7-w6");

    private ModelSpec(Builder b) {
        name = b.name;
        source = b.source;
        nc = b.nc;
        depthMultiple = b.depthMultiple;
        widthMultiple = b.widthMultiple;
        anchors = List.copyOf(b.anchors);
        Map<Section, List<LayerRow>> copy = new EnumMap<>(Section.class);
        b.rows.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        rows = java.util.Collections.unmodifiableMap(copy);
        nFirstLayers = b.nFirstLayers;
        b1Save = List.copyOf(b.b1Save);
        b2Save = List.copyOf(b.b2Save);
        keepInput = b.keepInput;
        dynamic = b.dynamic;
        routerIns = List.copyOf(b.routerIns);
        routerChannels = List.copyOf(b.routerChannels);
        routerReduction = b.routerReduction;
        inChannels = b.inChannels;
    }

    /** An empty definition (no rows, no router, 3 input channels) to fill in by name. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this definition, for a copy that differs in a few parts. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.source = source;
        b.nc = nc;
        b.depthMultiple = depthMultiple;
        b.widthMultiple = widthMultiple;
        b.anchors = anchors;
        b.rows = rows;
        b.nFirstLayers = nFirstLayers;
        b.b1Save = b1Save;
        b.b2Save = b2Save;
        b.keepInput = keepInput;
        b.dynamic = dynamic;
        b.routerIns = routerIns;
        b.routerChannels = routerChannels;
        b.routerReduction = routerReduction;
        b.inChannels = inChannels;
        return b;
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    public int nc() {
        return nc;
    }

    public double depthMultiple() {
        return depthMultiple;
    }

    public double widthMultiple() {
        return widthMultiple;
    }

    public List<List<Double>> anchors() {
        return anchors;
    }

    public Map<Section, List<LayerRow>> rows() {
        return rows;
    }

    public int nFirstLayers() {
        return nFirstLayers;
    }

    public List<Integer> b1Save() {
        return b1Save;
    }

    public List<Integer> b2Save() {
        return b2Save;
    }

    public boolean keepInput() {
        return keepInput;
    }

    public boolean dynamic() {
        return dynamic;
    }

    public List<Integer> routerIns() {
        return routerIns;
    }

    public List<Integer> routerChannels() {
        return routerChannels;
    }

    public int routerReduction() {
        return routerReduction;
    }

    public int inChannels() {
        return inChannels;
    }

    public List<LayerRow> rows(Section s) {
        return rows.getOrDefault(s, List.of());
    }

    /** Reads a cfg file. */
    public static ModelSpec load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("model definition " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read model definition " + file + ": " + e.getMessage(), e);
        }
        String fileName = file.getFileName().toString();
        return parse(text, fileName.replaceFirst("\\.ya?ml$", ""), file.toString());
    }

    /**
     * One of dydet's own definitions: {@code dy-yolov7}, {@code dy-yolov7x}, {@code dy-yolov7-w6} (step-2 form,
     * with the router) or the same names with {@code -step1} (no router).
     */
    public static ModelSpec builtIn(String name) {
        String base = name.endsWith("-step1") || name.endsWith("-step2") ? name.substring(0, name.length() - 6) : name;
        String form = name.endsWith("-step1") ? "step1" : "step2";
        if (!BUILT_IN.contains(base)) {
            throw new ConfigException("unknown model '" + name + "'; built-in models: " + String.join(", ", BUILT_IN)
                    + " (each also as <name>-step1); use --cfg FILE for a definition of your own");
        }
        String resource = "cfg/" + base + "-" + form + ".yaml";
        try (InputStream in = ModelSpec.class.getResourceAsStream(resource)) {
            if (in == null) throw new ConfigException("built-in definition " + resource + " is missing from the jar");
            return parse(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    form.equals("step1") ? base + "-step1" : base,
                    "built-in " + resource);
        } catch (IOException e) {
            throw new ConfigException("cannot read built-in definition " + resource, e);
        }
    }

    /** Resolves a user's model argument: a built-in name or a path to a cfg file. */
    public static ModelSpec resolve(String nameOrPath) {
        Path p = Path.of(nameOrPath);
        if (nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml") || Files.exists(p)) return load(p);
        return builtIn(nameOrPath);
    }

    /** Parses cfg text; {@code source} names the file in error messages. */
    public static ModelSpec parse(String text, String name, String source) {
        return ModelSpecYaml.parse(text, name, source);
    }

    /** The same definition with another number of classes (custom data sets). */
    public ModelSpec withClasses(int classes) {
        if (classes < 1) throw new ConfigException(source + ": number of classes must be >= 1, got " + classes);
        return toBuilder().nc(classes).build();
    }

    /**
     * The same definition at another width. Unlike the original (which scales only Conv/SPPCSPC/RepConv widths,
     * so its cfgs break below width 1), this also scales the CBLinear lists and the router channels, which keeps
     * every composite connection and the router consistent with the layers they connect.
     */
    public ModelSpec withWidth(double width) {
        if (!(width > 0)) throw new ConfigException(source + ": width must be > 0, got " + width);
        double factor = width / widthMultiple;
        Map<Section, List<LayerRow>> scaled = new EnumMap<>(Section.class);
        for (Map.Entry<Section, List<LayerRow>> e : rows.entrySet()) {
            List<LayerRow> out = new ArrayList<>();
            for (LayerRow row : e.getValue()) {
                if (row.module().equals("CBLinear")) {
                    List<Object> args = new ArrayList<>(row.args());
                    List<Object> widths = new ArrayList<>();
                    for (Object c : (List<?>) args.get(0))
                        widths.add(Network.makeDivisible(((Number) c).doubleValue() * factor, 8));
                    args.set(0, widths);
                    row = new LayerRow(
                            row.section(),
                            row.index(),
                            row.from(),
                            row.fromIsList(),
                            row.number(),
                            row.module(),
                            args,
                            row.where());
                }
                out.add(row);
            }
            scaled.put(e.getKey(), out);
        }
        List<Integer> router = routerChannels.stream()
                .map(c -> Network.makeDivisible(c * factor, 8))
                .toList();
        String newName = width == 1.0 ? name : name + "-w" + trimWidth(width);
        return toBuilder()
                .name(newName)
                .widthMultiple(width)
                .rows(scaled)
                .routerChannels(router)
                .build();
    }

    private static String trimWidth(double w) {
        String s = Double.toString(w);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    /** Anchors in pixels as [level][anchor][w, h]. */
    public float[][][] anchorPixels() {
        float[][][] a = new float[anchors.size()][][];
        for (int i = 0; i < anchors.size(); i++) {
            List<Double> lvl = anchors.get(i);
            a[i] = new float[lvl.size() / 2][2];
            for (int j = 0; j < lvl.size() / 2; j++) {
                a[i][j][0] = lvl.get(2 * j).floatValue();
                a[i][j][1] = lvl.get(2 * j + 1).floatValue();
            }
        }
        return a;
    }

    /** This definition in the cfg format (what dydet embeds in its model files); parsing it gives an equal definition. */
    public String toYaml() {
        return ModelSpecYaml.write(this);
    }

    @Override
    public String toString() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Section s : Section.values()) counts.put(s.yamlKey(), rows(s).size());
        return "ModelSpec[" + name + " from " + source + ", nc " + nc + ", width " + widthMultiple + ", rows " + counts
                + ", dynamic " + dynamic + "]";
    }

    private List<Object> components() {
        return java.util.Arrays.asList(
                name,
                source,
                nc,
                depthMultiple,
                widthMultiple,
                anchors,
                rows,
                nFirstLayers,
                b1Save,
                b2Save,
                keepInput,
                dynamic,
                routerIns,
                routerChannels,
                routerReduction,
                inChannels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec m && components().equals(m.components());
    }

    @Override
    public int hashCode() {
        return components().hashCode();
    }

    /** The parts of a definition by name; lists and rows are copied when built. */
    public static final class Builder {
        private String name;
        private String source;
        private int nc;
        private double depthMultiple = 1.0;
        private double widthMultiple = 1.0;
        private List<List<Double>> anchors = List.of();
        private Map<Section, List<LayerRow>> rows = Map.of();
        private int nFirstLayers;
        private List<Integer> b1Save = List.of();
        private List<Integer> b2Save = List.of();
        private boolean keepInput;
        private boolean dynamic;
        private List<Integer> routerIns = List.of();
        private List<Integer> routerChannels = List.of();
        private int routerReduction = 4;
        private int inChannels = 3;

        private Builder() {}

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder source(String v) {
            source = v;
            return this;
        }

        public Builder nc(int v) {
            nc = v;
            return this;
        }

        public Builder depthMultiple(double v) {
            depthMultiple = v;
            return this;
        }

        public Builder widthMultiple(double v) {
            widthMultiple = v;
            return this;
        }

        public Builder anchors(List<List<Double>> v) {
            anchors = v;
            return this;
        }

        public Builder rows(Map<Section, List<LayerRow>> v) {
            rows = v;
            return this;
        }

        public Builder nFirstLayers(int v) {
            nFirstLayers = v;
            return this;
        }

        public Builder b1Save(List<Integer> v) {
            b1Save = v;
            return this;
        }

        public Builder b2Save(List<Integer> v) {
            b2Save = v;
            return this;
        }

        public Builder keepInput(boolean v) {
            keepInput = v;
            return this;
        }

        public Builder dynamic(boolean v) {
            dynamic = v;
            return this;
        }

        public Builder routerIns(List<Integer> v) {
            routerIns = v;
            return this;
        }

        public Builder routerChannels(List<Integer> v) {
            routerChannels = v;
            return this;
        }

        public Builder routerReduction(int v) {
            routerReduction = v;
            return this;
        }

        public Builder inChannels(int v) {
            inChannels = v;
            return this;
        }

        public ModelSpec build() {
            return new ModelSpec(this);
        }
    }
}
