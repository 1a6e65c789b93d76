package io.dydet.model;

import ai.djl.Device;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import io.dydet.engine.Engines;
import java.io.*;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;

class ScratchParityTest {
    static NDList load(NDManager m, String f) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of("src/test/resources/golden/" + f)))) {
            return NDList.decode(m, in);
        }
    }

    @Test
    void run() throws Exception {
        Engines.start(2);
        for (String name : List.of("dy-yolov7-w025", "dy-yolov7x-w025", "dy-yolov7-w6-w025")) {
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                ModelSpec spec = ModelSpec.load(Path.of("src/test/resources/golden/" + name + ".yaml"));
                Network net = Network.build(spec);
                NDList w = load(m, name + ".safetensors");
                Map<String, NDArray> map = new LinkedHashMap<>();
                for (NDArray a : w) map.put(a.getName(), a);
                DynamicDetModel model = DynamicDetModel.fromStateDict(net, map, m.newSubManager(), name);
                DynamicDetModel fused = model.fuse(m.newSubManager());
                NDList io = load(m, name + ".io.safetensors");
                for (String img : List.of("random", "demo", "grace_hopper")) {
                    NDArray input;
                    if (img.equals("random")) input = io.get("random.input");
                    else input = io.get(img + ".letterboxed_bgr_u8").toType(DataType.FLOAT32, false).transpose(2, 0, 1).expandDims(0).div(255f);
                    if (!img.equals("random")) input = NDArrays.concat(new NDList(input.get(":, 2:3"), input.get(":, 1:2"), input.get(":, 0:1")), 1);
                    for (DynamicDetModel mm : List.of(model, fused)) {
                        NDArray score = mm.routerScores(input);
                        System.out.printf("%s %s fused=%s score %.8f vs %.8f%n", name, img, mm.network().isFused(), score.getFloat(0, 0), io.get(img + ".score").getFloat(0, 0));
                        for (Route r : Route.values()) {
                            HeadOutput out = mm.forward(input, r);
                            String rn = r == Route.EASY ? "easy" : "hard";
                            for (int l = 0; l < out.raw().size(); l++) {
                                NDArray g = io.get(img + "." + rn + ".raw." + l);
                                System.out.printf("  %s raw.%d maxdiff %.3g%n", rn, l, out.raw().get(l).sub(g).abs().max().getFloat());
                            }
                            NDArray gd = io.get(img + "." + rn + ".decoded");
                            System.out.printf("  %s decoded maxdiff %.3g%n", rn, out.decoded().sub(gd).abs().max().getFloat());
                        }
                    }
                }
            }
        }
    }
}
