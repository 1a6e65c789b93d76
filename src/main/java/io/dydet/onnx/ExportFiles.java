package io.dydet.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.Network;
import io.dydet.model.Route;
import io.dydet.model.ThresholdTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An export folder: {@code route1_stem.onnx}, {@code route1_head.onnx}, {@code route2.onnx} and {@code model.json},
 * which says how the pieces connect, how to prepare an image and how to choose the route, so any ONNX runtime can
 * run dydet's dynamic inference from these files alone.
 */
public final class ExportFiles {
    public static final String STEM = "route1_stem.onnx";
    public static final String HEAD1 = "route1_head.onnx";
    public static final String ROUTE2 = "route2.onnx";
    public static final String DESCRIPTION = "model.json";

    private ExportFiles() {}

    /** Exports the fused model into {@code dir} (created if needed); each file is written whole or not at all. */
    public static OnnxExport.Graphs write(
            Path dir, DynamicDetModel fused, ModelArtifact artifact, int imageSize, float defaultThreshold)
            throws IOException {
        Files.createDirectories(dir);
        OnnxExport.Graphs g = OnnxExport.export(fused);
        AtomicFile.write(dir.resolve(STEM), out -> out.write(g.route1Stem()));
        AtomicFile.write(dir.resolve(HEAD1), out -> out.write(g.route1Head()));
        AtomicFile.write(dir.resolve(ROUTE2), out -> out.write(g.route2()));
        Map<String, Object> json = describe(fused.network(), g.layout(), artifact, imageSize, defaultThreshold);
        ObjectMapper mapper = Json.PRETTY;
        AtomicFile.write(dir.resolve(DESCRIPTION), out -> mapper.writeValue(out, json));
        return g;
    }

    static Map<String, Object> describe(
            Network net, OnnxExport.Layout layout, ModelArtifact artifact, int imageSize, float defaultThreshold)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "dydet-onnx/1");
        m.put("model", artifact.modelName());
        m.put("opset", GraphBuilder.OPSET);
        m.put("classes", artifact.classNames());
        m.put("image_size", imageSize);
        m.put("strides", net.strides());
        m.put("dynamic", layout.dynamic());
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put(
                "letterbox",
                "resize the long side to image_size keeping the aspect ratio (bilinear; only when the size changes), then pad "
                        + "right/left and top/bottom equally to the next multiple of " + net.maxStride()
                        + " with colour (114, 114, 114)");
        pre.put(
                "input",
                "RGB, channels first, float32 in [0, 1]: " + OnnxExport.IMAGES
                        + " (batch, 3, height, width); height and width multiples of " + net.maxStride()
                        + "; one letterboxed size per batch");
        m.put("preprocessing", pre);
        Map<String, Object> graphs = new LinkedHashMap<>();
        List<Object> stemOut = new ArrayList<>();
        if (layout.dynamic()) stemOut.add(tensor(OnnxExport.SCORE, List.of("batch", 1)));
        for (OnnxExport.Feature f : layout.features()) stemOut.add(feature(f));
        graphs.put(
                "route1_stem",
                piece(STEM, List.of(tensor(OnnxExport.IMAGES, List.of("batch", 3, "height", "width"))), stemOut));
        graphs.put(
                "route1_head", piece(HEAD1, inputs(layout, layout.route1HeadInputs()), List.of(predictions(layout))));
        graphs.put("route2", piece(ROUTE2, inputs(layout, layout.route2Inputs()), List.of(predictions(layout))));
        m.put("graphs", graphs);
        m.put(
                "routing",
                "run route1_stem on the batch; image i takes route 1 iff score[i] >= the router threshold: feed its rows of "
                        + String.join(", ", layout.route1HeadInputs()) + " to route1_head; otherwise feed its rows of "
                        + String.join(", ", layout.route2Inputs())
                        + " to route2. Threshold 0 sends every image to route 1, 1 to route 2."
                        + (layout.dynamic() ? "" : " This model has no router: every image takes route 2."));
        m.put(
                "predictions",
                "(batch, boxes, " + layout.outputs()
                        + "): centre x, centre y, width, height in letterboxed input pixels, objectness, "
                        + "then one probability per class; confidence = objectness x class probability, then per-class NMS (IoU 0.45, confidence 0.25 "
                        + "for detection), then undo the letterbox");
        Map<String, Object> gflops = new LinkedHashMap<>();
        gflops.put("route1", net.gflops(Route.ROUTE1, imageSize, imageSize));
        gflops.put("route2", net.gflops(Route.ROUTE2, imageSize, imageSize));
        m.put("gflops_at_image_size", gflops);
        m.put(
                "anchors",
                net.spec().anchors()); // per level, pixel pairs w0, h0, w1, h1, ... (decoded inside the graphs)
        m.put("router_threshold", (double) defaultThreshold);
        ThresholdTable t = artifact.thresholds();
        m.put("calibration", t == null ? null : Json.MAPPER.readTree(t.toJson()));
        return m;
    }

    private static Map<String, Object> piece(String file, List<Object> inputs, List<Object> outputs) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("file", file);
        p.put("inputs", inputs);
        p.put("outputs", outputs);
        return p;
    }

    private static List<Object> inputs(OnnxExport.Layout layout, List<String> names) {
        List<Object> out = new ArrayList<>();
        for (String n : names) {
            if (n.equals(OnnxExport.IMAGES)) out.add(tensor(n, List.of("batch", 3, "height", "width")));
            else for (OnnxExport.Feature f : layout.features()) if (f.name().equals(n)) out.add(feature(f));
        }
        return out;
    }

    private static Map<String, Object> feature(OnnxExport.Feature f) {
        Map<String, Object> t =
                tensor(f.name(), List.of("batch", f.channels(), "height/" + f.stride(), "width/" + f.stride()));
        t.put("first_backbone_layer", f.index());
        return t;
    }

    private static Map<String, Object> predictions(OnnxExport.Layout layout) {
        return tensor(OnnxExport.PREDICTIONS, List.of("batch", "boxes", layout.outputs()));
    }

    private static Map<String, Object> tensor(String name, List<Object> shape) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("type", "float32");
        t.put("shape", shape);
        return t;
    }
}
