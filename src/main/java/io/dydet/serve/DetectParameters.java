package io.dydet.serve;

import io.dydet.infer.DetectSettings;
import io.dydet.infer.Detector;
import io.dydet.model.ClassNames;
import io.dydet.model.RouterSetting;
import java.util.List;
import java.util.Map;

/**
 * The query parameters of {@code POST /v1/detect} turned into detection settings: conf, iou, classes (ids or names,
 * comma-separated), and either easy_ratio (the share of images on route 1, through the model's calibration) or
 * dy_thres (the raw router threshold). Anything else is refused, so a misspelt parameter is not silently ignored.
 */
final class DetectParameters {
    static final List<String> KNOWN = List.of("conf", "iou", "classes", "easy_ratio", "dy_thres");

    private DetectParameters() {}

    static DetectSettings parse(Map<String, List<String>> query, Detector detector) {
        for (String key : query.keySet()) {
            if (!KNOWN.contains(key))
                throw bad("unknown query parameter '" + key + "'; known: " + String.join(", ", KNOWN));
        }
        DetectSettings s = detector.defaults();
        String conf = single(query, "conf");
        if (conf != null) s = s.withConfidence(number("conf", conf, 0, 1, false));
        String iou = single(query, "iou");
        if (iou != null) s = s.withIou(number("iou", iou, 0, 1, true));
        String classes = single(query, "classes");
        if (classes != null) {
            try {
                s = s.withClasses(ClassNames.select(List.of(classes.split(",")), detector.classNames()));
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }
        String easy = single(query, "easy_ratio"), thres = single(query, "dy_thres");
        if (easy != null && thres != null) throw bad("give either easy_ratio or dy_thres, not both");
        if (thres != null) s = s.withRouterThreshold(number("dy_thres", thres, 0, 1, true));
        if (easy != null) {
            double ratio = number("easy_ratio", easy, 0, 1, true);
            if (detector.artifact().thresholds() == null)
                throw bad(
                        "easy_ratio needs a calibrated model (dydet calibrate); this model has no calibration, use dy_thres");
            s = s.withRouterThreshold(detector.routerThreshold(new RouterSetting.EasyRatio(ratio)));
        }
        return s;
    }

    private static String single(Map<String, List<String>> query, String key) {
        List<String> v = query.get(key);
        if (v == null || v.isEmpty()) return null;
        if (v.size() > 1) throw bad("query parameter '" + key + "' given " + v.size() + " times");
        return v.get(0).trim();
    }

    private static float number(String key, String text, double lo, double hi, boolean hiIncluded) {
        float v;
        try {
            v = Float.parseFloat(text);
        } catch (NumberFormatException e) {
            throw bad(key + " must be a number, got '" + text + "'");
        }
        if (!(v >= lo && (hiIncluded ? v <= hi : v < hi)))
            throw bad(key + " must be in [" + lo + ", " + hi + (hiIncluded ? "]" : ")") + ", got " + text);
        return v;
    }

    private static ServeException bad(String message) {
        return new ServeException(400, "bad_parameter", message);
    }
}
