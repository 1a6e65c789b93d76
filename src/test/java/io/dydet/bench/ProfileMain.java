package io.dydet.bench;

import ai.djl.Device;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.model.*;
import io.dydet.nn.*;
import java.nio.file.Path;
import java.util.*;

/** Per-module-type wall time of one forward (development aid, not a test). */
public class ProfileMain {
    public static void main(String[] args) throws Exception {
        Engines.start(2);
        ModelSpec spec = ModelSpec.load(Path.of(args[0])).withWidth(Double.parseDouble(args[1]));
        boolean fuse = args.length > 2 && args[2].equals("fused");
        try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = DynamicDetModel.initialized(Network.build(spec), root.newSubManager(), 0);
            if (fuse) model = model.fuse(root.newSubManager());
            Map<String, long[]> acc = new TreeMap<>();
            Map<String, Double> gmacs = new TreeMap<>();
            var shapes = model.network().shapes(640, 640);
            for (Section sec : Section.values())
                for (Node n : model.network().nodes(sec)) {
                    List<List<FeatureShape>> in = new ArrayList<>();
                    for (Source src : n.sources())
                        in.add(
                                src.isInput()
                                        ? List.of(new FeatureShape(3, 640, 640))
                                        : shapes.get(src.section()).get(src.index()));
                    String k = n.layer().module()
                            + (n.layer() instanceof io.dydet.nn.FusedConv c
                                    ? " k" + c.kernel() + " s" + c.stride()
                                    : "");
                    gmacs.merge(
                            k + (sec == Section.D1 ? "" : ""),
                            n.layer().macs(in) / 1e9 * (sec == Section.D2 || sec == Section.D1 ? 1 : 1),
                            Double::sum);
                }
            Map<Node, Long> perNode = new IdentityHashMap<>();
            Map<Node, Double> nodeMacs = new IdentityHashMap<>();
            for (Section sec : Section.values())
                for (Node n : model.network().nodes(sec)) {
                    List<List<FeatureShape>> in = new ArrayList<>();
                    for (Source src : n.sources())
                        in.add(
                                src.isInput()
                                        ? List.of(new FeatureShape(3, 640, 640))
                                        : shapes.get(src.section()).get(src.index()));
                    nodeMacs.put(n, n.layer().macs(in) / 1e9);
                }
            model.setLayerTimer((n, ns) -> {
                perNode.merge(n, ns, Long::sum);
                String k = n.layer().module()
                        + (n.layer() instanceof io.dydet.nn.FusedConv c ? " k" + c.kernel() + " s" + c.stride() : "");
                acc.computeIfAbsent(k, x -> new long[2]);
                acc.get(k)[0] += ns;
                acc.get(k)[1]++;
            });
            for (Route r : Route.values()) {
                for (int it = 0; it < 8; it++) {
                    if (it == 4) {
                        acc.clear();
                        perNode.clear();
                    }
                    try (NDManager pass = root.newSubManager()) {
                        NDArray x = pass.randomUniform(0f, 1f, new Shape(1, 3, 640, 640));
                        long t0 = System.nanoTime();
                        model.forward(x, r).decoded().toFloatArray();
                        System.out.printf("%s iter %d: %.3f s%n", r, it, (System.nanoTime() - t0) / 1e9);
                        if (it == 7) {
                            acc.forEach((k, v) ->
                                    System.out.printf("   %-22s %8.1f ms  x%d%n", k, v[0] / 1e6 / 4, v[1] / 4));
                            perNode.entrySet().stream()
                                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                                    .limit(25)
                                    .forEach(e -> System.out.printf(
                                            "   %-16s %-10s %7.1f ms %6.2f GMAC %6.1f GFLOP/s  out %s%n",
                                            e.getKey().prefix(),
                                            e.getKey().layer().module(),
                                            e.getValue() / 4e6,
                                            nodeMacs.get(e.getKey()),
                                            2 * nodeMacs.get(e.getKey()) / (e.getValue() / 4e9),
                                            shapes.get(e.getKey().section())
                                                    .get(e.getKey().index())));
                            perNode.clear();
                        }
                        if (it == 7) acc.clear();
                    }
                }
            }
        }
    }
}
