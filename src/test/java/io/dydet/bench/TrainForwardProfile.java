package io.dydet.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.train.Trainables;
import java.util.Map;
import java.util.TreeMap;

/** Diagnostics: per-layer time of a training forward. Args: img batch grad(0/1). */
public final class TrainForwardProfile {
    public static void main(String[] a) throws Exception {
        Engines.start(0);
        int img = Integer.parseInt(a[0]), bs = Integer.parseInt(a[1]);
        try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
            Network net = Network.build(ModelSpec.builtIn("dy-yolov7-step1").withWidth(0.25));
            DynamicDetModel model = DynamicDetModel.initialized(net, root.newSubManager(), 0);
            if (a[2].equals("1")) Trainables.requireGradients(model);
            Engines.setGradEnabled(a[2].equals("1"));
            for (int k = 0; k < 3; k++) {
                Map<String, Long> t = new TreeMap<>();
                model.setLayerTimer((n, ns) -> t.merge(n.layer().module(), ns, Long::sum));
                try (NDManager m = root.newSubManager()) {
                    NDArray x = m.randomUniform(0, 1, new Shape(bs, 3, img, img));
                    long s0 = System.nanoTime();
                    var out = model.forwardTrain(x);
                    long s1 = System.nanoTime();
                    System.out.printf("forward %.0f ms %s%n", (s1 - s0) / 1e6, t);
                    if (a[2].equals("1")) {
                        NDArray l = out.head1().get(0).sum().add(out.head2().get(0).sum());
                        long b0 = System.nanoTime();
                        Engines.backward(l);
                        System.out.printf("backward %.0f ms%n", (System.nanoTime() - b0) / 1e6);
                    }
                }
            }
        }
    }
}
