package io.dydet.infer;

import io.dydet.eval.NmsOptions;
import java.util.Objects;
import java.util.Set;

/**
 * What may differ from image to image within one batch: the router threshold (route 1 iff the easiness score is
 * at least this) and the NMS settings. A service batches requests with different settings together this way.
 */
public record DetectSettings(float routerThreshold, NmsOptions nms) {
    public DetectSettings {
        if (!(routerThreshold >= 0f && routerThreshold <= 1f))
            throw new IllegalArgumentException("router threshold must be in [0, 1], got " + routerThreshold);
        Objects.requireNonNull(nms, "nms");
    }

    public DetectSettings withRouterThreshold(float threshold) {
        return new DetectSettings(threshold, nms);
    }

    public DetectSettings withConfidence(float confidence) {
        return new DetectSettings(routerThreshold, nms.withConfidence(confidence));
    }

    public DetectSettings withIou(float iou) {
        return new DetectSettings(routerThreshold, nms.withIou(iou));
    }

    /** Keep only these class ids (null: all). */
    public DetectSettings withClasses(Set<Integer> classes) {
        return new DetectSettings(routerThreshold, nms.withClasses(classes));
    }
}
