package io.dydet.infer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image's row of {@code detections.json}, the shape every dydet output shares (the detect command, the HTTP
 * service): file, width, height, score, route, gflops, detections (box x1 y1 x2 y2 in original pixels, confidence,
 * class_id, class_name) and error. A failed image has nulls and its error.
 */
public final class DetectionsJson {
    private DetectionsJson() {}

    public static Map<String, Object> row(String file, ImageDetections r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("width", r.ok() ? r.width() : null);
        m.put("height", r.ok() ? r.height() : null);
        m.put("score", r.ok() && !Float.isNaN(r.routerScore()) ? (double) r.routerScore() : null);
        m.put("route", r.ok() ? r.route().number() : null);
        m.put("gflops", r.ok() ? r.gflops() : null);
        List<Map<String, Object>> dets = new ArrayList<>();
        for (Detection d : r.detections()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("box", new double[] {
                d.box().x1(), d.box().y1(), d.box().x2(), d.box().y2()
            });
            o.put("confidence", (double) d.confidence());
            o.put("class_id", d.classId());
            o.put("class_name", d.className());
            dets.add(o);
        }
        m.put("detections", dets);
        m.put("error", r.error());
        return m;
    }
}
