package io.dydet.testing;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.Route;
import java.nio.file.Path;

/** Run in a fresh JVM by tests: loads a model file, prints the demo router score and both routes' decoded sums. */
public final class PrintOutputs {
    public static void main(String[] args) throws Exception {
        Engines.start(2);
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = ModelFiles.load(Path.of(args[0]), null, m.newSubManager());
            NDArray x = g.input(m, "demo");
            System.out.println(model.routerScores(x).getFloat(0, 0));
            for (Route r : Route.values())
                System.out.println(model.forward(x, r).decoded().sum().getFloat());
        }
    }
}
