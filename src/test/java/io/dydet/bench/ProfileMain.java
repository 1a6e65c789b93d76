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
            model.setLayerTimer((n, ns) -> {
                String k = n.layer().module() + (n.layer() instanceof io.dydet.nn.FusedConv c ? " k" + c.kernel() + " s" + c.stride() : "");
                acc.computeIfAbsent(k, x -> new long[2]);
                acc.get(k)[0] += ns; acc.get(k)[1]++;
            });
            for (Route r : Route.values()) {
                for (int it = 0; it < 4; it++) {
                    try (NDManager pass = root.newSubManager()) {
                        NDArray x = pass.randomUniform(0f, 1f, new Shape(1, 3, 640, 640));
                        long t0 = System.nanoTime();
                        model.forward(x, r).decoded().toFloatArray();
                        System.out.printf("%s iter %d: %.3f s%n", r, it, (System.nanoTime() - t0) / 1e9);
                        if (it == 3) { acc.forEach((k, v) -> System.out.printf("   %-22s %8.1f ms  x%d%n", k, v[0] / 1e6 / 4, v[1] / 4)); }
                        if (it == 3) acc.clear();
                    }
                }
            }
        }
    }
}
