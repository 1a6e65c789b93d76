package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.dydet.nn.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every difference between the tensors a network expects and the tensors a file holds, listed at once. */
public record WeightReport(List<String> missing, List<String> unexpected, List<String> wrongShape) {

    public static WeightReport compare(List<ParamSpec> expected, Map<String, NDArray> found) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        found.forEach((k, v) -> shapes.put(k, v.getShape().getShape()));
        return compareShapes(expected, shapes);
    }

    /** Compares names and shapes only (no tensor needs to be read). */
    public static WeightReport compareShapes(List<ParamSpec> expected, Map<String, long[]> found) {
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (ParamSpec p : expected) {
            seen.add(p.name());
            long[] a = found.get(p.name());
            if (a == null) {
                missing.add(p.name() + "  expected " + shape(p.shape()));
            } else if (!new Shape(a).equals(p.shape())) {
                wrong.add(p.name() + "  file " + shape(new Shape(a)) + ", model " + shape(p.shape()));
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, long[]> e : found.entrySet()) {
            if (!seen.contains(e.getKey())) unexpected.add(e.getKey() + "  " + shape(new Shape(e.getValue())));
        }
        return new WeightReport(missing, unexpected, wrong);
    }

    public boolean isClean() {
        return missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty();
    }

    static String shape(Shape s) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.dimension(); i++) b.append(i > 0 ? ", " : "").append(s.get(i));
        return b.append(s.dimension() == 1 ? ",)" : ")").toString();
    }

    /** A multi-line description: counts, up to {@code limit} lines per kind, and a hint when one applies. */
    public String describe(int limit) {
        StringBuilder b = new StringBuilder();
        b.append(missing.size())
                .append(" missing, ")
                .append(unexpected.size())
                .append(" unexpected, ")
                .append(wrongShape.size())
                .append(" wrong shape");
        append(b, "missing     ", missing, limit);
        append(b, "unexpected  ", unexpected, limit);
        append(b, "wrong shape ", wrongShape, limit);
        String hint = hint();
        if (!hint.isEmpty()) b.append(System.lineSeparator()).append("hint: ").append(hint);
        return b.toString();
    }

    private static void append(StringBuilder b, String label, List<String> lines, int limit) {
        for (int i = 0; i < Math.min(limit, lines.size()); i++)
            b.append(System.lineSeparator()).append("  ").append(label).append(lines.get(i));
        if (lines.size() > limit)
            b.append(System.lineSeparator())
                    .append("  ... ")
                    .append(lines.size() - limit)
                    .append(" more ")
                    .append(label.trim());
    }

    private String hint() {
        if (!missing.isEmpty()
                && unexpected.isEmpty()
                && wrongShape.isEmpty()
                && missing.stream().allMatch(m -> m.startsWith("router.")))
            return "the file has no router: it looks like a step-1 checkpoint; use the step-1 definition (e.g. dy-yolov7-step1) or train the router";
        if (missing.isEmpty()
                && wrongShape.isEmpty()
                && !unexpected.isEmpty()
                && unexpected.stream().allMatch(m -> m.startsWith("router.")))
            return "the file has a router but the definition is step-1; use the step-2 definition (e.g. dy-yolov7)";
        if (!wrongShape.isEmpty() && wrongShape.stream().allMatch(l -> l.contains(".m.") || l.contains("anchor")))
            return "only the detection convolutions differ: the number of classes (nc) of the definition and the file differ";
        if (!wrongShape.isEmpty()) return "the widths differ: check width_multiple (--width) and the model name";
        return "";
    }
}
