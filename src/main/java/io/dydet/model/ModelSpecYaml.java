package io.dydet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The cfg format of a {@link ModelSpec}: parsing YAML text into a definition and writing a definition back. */
final class ModelSpecYaml {
    private static final YAMLMapper YAML = new YAMLMapper();

    private ModelSpecYaml() {}

    /** Parses cfg text; {@code source} names the file in error messages. */
    static ModelSpec parse(String text, String name, String source) {
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
        return ModelSpec.builder()
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

    /** The definition in the cfg format; parsing it gives an equal definition. */
    static String write(ModelSpec spec) {
        StringBuilder b = new StringBuilder();
        b.append("# ")
                .append(spec.name())
                .append(" (written by dydet from ")
                .append(spec.source().replace('\n', ' '))
                .append(")\n");
        b.append("nc: ").append(spec.nc()).append('\n');
        b.append("depth_multiple: ").append(spec.depthMultiple()).append('\n');
        b.append("width_multiple: ").append(spec.widthMultiple()).append('\n');
        b.append("anchors:\n");
        for (List<Double> a : spec.anchors())
            b.append("  - ")
                    .append(flow(a.stream().map(ModelSpecYaml::number).toList()))
                    .append('\n');
        b.append("n_first_layers: ").append(spec.nFirstLayers()).append('\n');
        b.append("b1_save: ").append(flow(spec.b1Save())).append('\n');
        b.append("b2_save: ").append(flow(spec.b2Save())).append('\n');
        if (spec.keepInput()) b.append("keep_input: True\n");
        if (spec.inChannels() != 3) b.append("ch: ").append(spec.inChannels()).append('\n');
        if (spec.dynamic()) {
            b.append("dynamic: True\n");
            b.append("router_ins: ").append(flow(spec.routerIns())).append('\n');
            b.append("router_channels: ").append(flow(spec.routerChannels())).append('\n');
            b.append("router_reduction: ").append(spec.routerReduction()).append('\n');
        }
        for (Section s : Section.values()) {
            b.append(s.yamlKey()).append(":\n");
            for (LayerRow r : spec.rows(s)) {
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
}
