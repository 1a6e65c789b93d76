package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dydet.nn.IDetect;
import io.dydet.nn.ParamSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

/**
 * The original's initialisation (design.md, Model definition): convolutions and the router with PyTorch's default
 * (kaiming-uniform a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), BatchNorm
 * weight 1 / bias 0 / mean 0 / var 1, ImplicitA ~ N(0, 0.02), ImplicitM ~ N(1, 0.02), anchors from the cfg,
 * and the detection biases' priors: objectness + ln(8 / (640 / stride)^2), classes + ln(0.6 / (nc - 0.99)).
 */
final class Initializer {
    private Initializer() {}

    static Map<String, NDArray> initialize(Network network, NDManager manager, long seed) {
        Random rng = new Random(seed);
        Map<String, NDArray> state = new LinkedHashMap<>();
        Map<String, Shape> shapes = new HashMap<>();
        for (ParamSpec p : network.stateDictSpec()) shapes.put(p.name(), p.shape());
        for (ParamSpec p : network.stateDictSpec()) {
            NDArray a = create(p, shapes, manager, rng);
            a.setName(p.name());
            state.put(p.name(), a);
        }
        for (Section head : List.of(Section.D1, Section.D2)) initDetect(network, head, state, manager);
        return state;
    }

    private static NDArray create(ParamSpec p, Map<String, Shape> shapes, NDManager m, Random rng) {
        String n = p.name();
        Shape s = p.shape();
        if (p.dataType() == DataType.INT64) return m.create(0L).reshape(s);
        if (n.endsWith("running_mean")) return m.zeros(s);
        if (n.endsWith("running_var")) return m.ones(s);
        if (n.endsWith(".implicit")) {
            boolean mult = n.contains(".im.");
            return fill(m, s, i -> (float) ((mult ? 1.0 : 0.0) + 0.02 * rng.nextGaussian()));
        }
        if (n.endsWith("anchors") || n.endsWith("anchor_grid")) return m.zeros(s); // set by initDetect
        boolean isBn = n.contains(".bn.")
                || n.contains("rbr_dense.1.")
                || n.contains("rbr_1x1.1.")
                || n.contains("rbr_identity.");
        if (isBn && n.endsWith(".weight")) return m.ones(s);
        if (isBn && n.endsWith(".bias")) return m.zeros(s);
        // default conv init; a bias uses the fan-in of its layer's weight
        Shape w = s.dimension() == 4 ? s : shapes.get(n.substring(0, n.length() - "bias".length()) + "weight");
        long fanIn = w == null ? 1 : w.get(1) * w.get(2) * w.get(3);
        double bound = 1.0 / Math.sqrt(fanIn);
        return fill(m, s, i -> (float) ((rng.nextDouble() * 2 - 1) * bound));
    }

    private static NDArray fill(NDManager m, Shape s, IntToDoubleFunction f) {
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) f.applyAsDouble(i);
        return m.create(v, s);
    }

    private static void initDetect(Network network, Section head, Map<String, NDArray> state, NDManager m) {
        Node node = network.detectNode(head);
        IDetect det = (IDetect) node.layer();
        float[][][] anchors = network.spec().anchorPixels();
        int nl = det.levels(), na = det.na(), no = det.outputsPerAnchor();
        float[] grid = new float[nl * na * 2], units = new float[nl * na * 2];
        for (int l = 0; l < nl; l++) {
            for (int a = 0; a < na; a++) {
                for (int k = 0; k < 2; k++) {
                    grid[(l * na + a) * 2 + k] = anchors[l][a][k];
                    units[(l * na + a) * 2 + k] =
                            anchors[l][a][k] / det.strides().get(l);
                }
            }
        }
        String p = node.prefix();
        state.put(p + "anchors", named(m.create(units, new Shape(nl, na, 2)), p + "anchors"));
        state.put(p + "anchor_grid", named(m.create(grid, new Shape(nl, 1, na, 1, 1, 2)), p + "anchor_grid"));
        for (int l = 0; l < nl; l++) {
            String key = p + "m." + l + ".bias";
            float[] b = state.get(key).toFloatArray();
            double stride = det.strides().get(l);
            for (int a = 0; a < na; a++) {
                b[a * no + 4] += (float) Math.log(8.0 / Math.pow(640.0 / stride, 2));
                for (int c = 5; c < no; c++) b[a * no + c] += (float) Math.log(0.6 / (det.nc() - 0.99));
            }
            state.get(key).close();
            state.put(key, named(m.create(b), key));
        }
    }

    private static NDArray named(NDArray a, String name) {
        a.setName(name);
        return a;
    }
}
