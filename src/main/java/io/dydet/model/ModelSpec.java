package io.dydet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
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

    private static final YAMLMapper YAML = new YAMLMapper();

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
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new ConfigException(source + ": expected a YAML mapping at the top level");
        Reader r = new Reader(root, source);
        int nc = r.intValue("nc", null);
        double gd = r.doubleValue("depth_multiple", 1.0);
        double gw = r.doubleValue("width_multiple", 1.0);
        List<List<Double>> anchors = r.anchors();
        Map<Section, List<LayerRow>> rows = new EnumMap<>(Section.class);
        for (Section s : Section.values()) {
            boolean required = s == Section.B1 || s == Section.D1 || s == Section.DUAL || s == Section.D2;
            rows.put(s, r.rows(s, required));
        }
        int nFirst = r.intValue("n_first_layers", rows.get(Section.B1).size());
        if (nFirst != rows.get(Section.B1).size()) {
            throw new ConfigException(source + ": n_first_layers is " + nFirst + " but 'backbone' has "
                    + rows.get(Section.B1).size() + " rows");
        }
        boolean dynamic = r.bool("dynamic", false);
        List<Integer> routerIns = r.intList("router_ins", dynamic);
        List<Integer> routerChannels = r.intList("router_channels", dynamic);
        if (dynamic && routerIns.size() != routerChannels.size()) {
            throw new ConfigException(source + ": router_ins has " + routerIns.size()
                    + " entries but router_channels has " + routerChannels.size());
        }
        return builder()
                .name(name)
                .source(source)
                .nc(nc)
                .depthMultiple(gd)
                .widthMultiple(gw)
                .anchors(anchors)
                .rows(rows)
                .nFirstLayers(nFirst)
                .b1Save(r.intList("b1_save", false))
                .b2Save(r.intList("b2_save", false))
                .keepInput(r.bool("keep_input", false))
                .dynamic(dynamic)
                .routerIns(routerIns)
                .routerChannels(routerChannels)
                .routerReduction(r.intValue("router_reduction", 4))
                .inChannels(r.intValue("ch", 3))
                .build();
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

    /** Reads typed values from the YAML tree with messages that name the file and key. */
    private static final class Reader {
        private final JsonNode root;
        private final String source;

        Reader(JsonNode root, String source) {
            this.root = root;
            this.source = source;
        }

        int intValue(String key, Integer dflt) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                if (dflt == null) throw new ConfigException(source + ": missing key '" + key + "' (an integer)");
                return dflt;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber())
                throw new ConfigException(source + ": key '" + key + "' must be an integer, got " + n);
            return n.intValue();
        }

        double doubleValue(String key, double dflt) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return dflt;
            if (!n.isNumber()) throw new ConfigException(source + ": key '" + key + "' must be a number, got " + n);
            return n.doubleValue();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return dflt;
            if (n.isBoolean()) return n.booleanValue();
            if (n.isTextual()
                    && (n.textValue().equalsIgnoreCase("true") || n.textValue().equalsIgnoreCase("false")))
                return Boolean.parseBoolean(n.textValue());
            throw new ConfigException(source + ": key '" + key + "' must be True or False, got " + n);
        }

        List<Integer> intList(String key, boolean required) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                if (required)
                    throw new ConfigException(
                            source + ": missing key '" + key + "' (a list of integers; required when dynamic is True)");
                return List.of();
            }
            if (!n.isArray())
                throw new ConfigException(source + ": key '" + key + "' must be a list of integers, got " + n);
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isIntegralNumber())
                    throw new ConfigException(source + ": key '" + key + "' must hold integers, got " + e);
                out.add(e.intValue());
            }
            return out;
        }

        List<List<Double>> anchors() {
            JsonNode n = root.get("anchors");
            if (n == null || !n.isArray() || n.isEmpty())
                throw new ConfigException(
                        source + ": key 'anchors' must be a list of levels, each [w0,h0, w1,h1, ...] in pixels");
            List<List<Double>> out = new ArrayList<>();
            int perLevel = -1;
            for (int i = 0; i < n.size(); i++) {
                JsonNode lvl = n.get(i);
                if (!lvl.isArray() || lvl.isEmpty() || lvl.size() % 2 != 0)
                    throw new ConfigException(
                            source + ": anchors level " + i + " must be an even-length list of numbers, got " + lvl);
                if (perLevel >= 0 && lvl.size() != perLevel)
                    throw new ConfigException(source + ": anchors level " + i + " has " + lvl.size() / 2
                            + " anchors, level 0 has " + perLevel / 2);
                perLevel = lvl.size();
                List<Double> vals = new ArrayList<>();
                for (JsonNode v : lvl) {
                    if (!v.isNumber())
                        throw new ConfigException(source + ": anchors level " + i + " holds a non-number " + v);
                    vals.add(v.doubleValue());
                }
                out.add(vals);
            }
            return out;
        }

        List<LayerRow> rows(Section s, boolean required) {
            JsonNode n = root.get(s.yamlKey());
            if (n == null || n.isNull()) {
                if (required) throw new ConfigException(source + ": missing section '" + s.yamlKey() + "'");
                return List.of();
            }
            if (!n.isArray())
                throw new ConfigException(
                        source + ": section '" + s.yamlKey() + "' must be a list of [from, number, module, args] rows");
            List<LayerRow> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                String where = source + ", section '" + s.yamlKey() + "', row " + i;
                JsonNode row = n.get(i);
                if (!row.isArray() || row.size() != 4)
                    throw new ConfigException(where + ": expected [from, number, module, args], got " + row);
                JsonNode f = row.get(0);
                boolean isList = f.isArray();
                List<Object> from = new ArrayList<>();
                for (JsonNode e : isList ? iterable(f) : List.of(f)) from.add(scalar(e, where, "from"));
                if (from.isEmpty()) throw new ConfigException(where + ": 'from' is an empty list");
                JsonNode num = row.get(1);
                if (!num.isIntegralNumber() || num.intValue() < 1)
                    throw new ConfigException(where + ": 'number' must be a positive integer, got " + num);
                JsonNode mod = row.get(2);
                if (!mod.isTextual()) throw new ConfigException(where + ": module must be a name, got " + mod);
                JsonNode args = row.get(3);
                if (!args.isArray()) throw new ConfigException(where + ": args must be a list, got " + args);
                List<Object> argList = new ArrayList<>();
                for (JsonNode a : args) argList.add(plain(a));
                out.add(new LayerRow(s, i, from, isList, num.intValue(), mod.textValue(), argList, where));
            }
            return out;
        }

        private static List<JsonNode> iterable(JsonNode arr) {
            List<JsonNode> l = new ArrayList<>();
            arr.forEach(l::add);
            return l;
        }

        private static Object scalar(JsonNode e, String where, String what) {
            if (e.isIntegralNumber()) return e.intValue();
            if (e.isTextual()) return e.textValue();
            throw new ConfigException(where + ": '" + what + "' entries must be integers or 'input', got " + e);
        }

        /** YAML node -> Integer, Double, String, Boolean or List of those. */
        private static Object plain(JsonNode a) {
            if (a.isIntegralNumber()) return a.intValue();
            if (a.isNumber()) return a.doubleValue();
            if (a.isBoolean()) return a.booleanValue();
            if (a.isNull()) return "None";
            if (a.isArray()) {
                List<Object> l = new ArrayList<>();
                for (JsonNode e : a) l.add(plain(e));
                return l;
            }
            return a.asText();
        }
    }

    /** This definition in the cfg format (what dydet embeds in its model files); parsing it gives an equal definition. */
    public String toYaml() {
        StringBuilder b = new StringBuilder();
        b.append("# ")
                .append(name)
                .append(" (written by dydet from ")
                .append(source.replace('\n', ' '))
                .append(")\n");
        b.append("nc: ").append(nc).append('\n');
        b.append("depth_multiple: ").append(depthMultiple).append('\n');
        b.append("width_multiple: ").append(widthMultiple).append('\n');
        b.append("anchors:\n");
        for (List<Double> a : anchors)
            b.append("  - ")
                    .append(flow(a.stream().map(ModelSpec::number).toList()))
                    .append('\n');
        b.append("n_first_layers: ").append(nFirstLayers).append('\n');
        b.append("b1_save: ").append(flow(b1Save)).append('\n');
        b.append("b2_save: ").append(flow(b2Save)).append('\n');
        if (keepInput) b.append("keep_input: True\n");
        if (inChannels != 3) b.append("ch: ").append(inChannels).append('\n');
        if (dynamic) {
            b.append("dynamic: True\n");
            b.append("router_ins: ").append(flow(routerIns)).append('\n');
            b.append("router_channels: ").append(flow(routerChannels)).append('\n');
            b.append("router_reduction: ").append(routerReduction).append('\n');
        }
        for (Section s : Section.values()) {
            b.append(s.yamlKey()).append(":\n");
            for (LayerRow r : rows(s)) {
                Object from = r.fromIsList() ? r.from() : r.from().get(0);
                b.append("  - [")
                        .append(flowValue(from))
                        .append(", ")
                        .append(r.number())
                        .append(", ")
                        .append(r.module())
                        .append(", ")
                        .append(flowValue(r.args()))
                        .append("]\n");
            }
        }
        return b.toString();
    }

    private static Object number(Double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) d.longValue() : d;
    }

    private static String flow(List<?> l) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) b.append(i > 0 ? ", " : "").append(flowValue(l.get(i)));
        return b.append(']').toString();
    }

    private static String flowValue(Object v) {
        if (v instanceof List<?> l) return flow(l);
        if (v instanceof String str) {
            if (str.equals("None") || str.equals("nc") || str.equals("anchors") || str.equals("input")) return str;
            return "'" + str.replace("'", "''") + "'";
        }
        if (v instanceof Boolean bool) return bool ? "True" : "False";
        return String.valueOf(v);
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
