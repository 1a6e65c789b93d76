package io.dydet.eval;

import java.util.Set;

/**
 * Settings of the original's non_max_suppression.
 *
 * @param confidence keep (box, class) pairs with objectness x class probability above this
 * @param iou suppress a box whose IoU with a kept box of its class is above this
 * @param multiLabel every class above the threshold (evaluation) instead of the best class only (detection)
 * @param agnostic suppress across classes
 * @param classes keep only these class ids (null: all)
 * @param maxDetections at most this many rows per image
 * @param maxCandidates at most this many candidates enter the greedy pass (the most confident)
 */
public record NmsOptions(
        float confidence,
        float iou,
        boolean multiLabel,
        boolean agnostic,
        Set<Integer> classes,
        int maxDetections,
        int maxCandidates) {
    public NmsOptions {
        if (!(confidence >= 0f && confidence < 1f))
            throw new IllegalArgumentException("confidence threshold must be in [0, 1), got " + confidence);
        if (!(iou >= 0f && iou <= 1f))
            throw new IllegalArgumentException("IoU threshold must be in [0, 1], got " + iou);
        if (maxDetections < 1) throw new IllegalArgumentException("maxDetections must be >= 1, got " + maxDetections);
        classes = classes == null ? null : Set.copyOf(classes);
    }

    /** detect.py's defaults: conf 0.25, IoU 0.45, best class. */
    public static NmsOptions forDetect() {
        return new NmsOptions(0.25f, 0.45f, false, false, null, 300, 30000);
    }

    /** Detection with its thresholds, class filter and row limit (the best class per box, as detect.py). */
    public static NmsOptions forDetect(
            float confidence, float iou, boolean agnostic, Set<Integer> classes, int maxDetections) {
        return new NmsOptions(confidence, iou, false, agnostic, classes, maxDetections, 30000);
    }

    /** test.py's defaults: conf 0.001, IoU 0.65, multi-label. */
    public static NmsOptions forEval() {
        return new NmsOptions(0.001f, 0.65f, true, false, null, 300, 30000);
    }

    /** Evaluation at other thresholds (every class above the confidence, as test.py). */
    public static NmsOptions forEval(float confidence, float iou) {
        return forEval().withConfidence(confidence).withIou(iou);
    }

    public NmsOptions withConfidence(float confidence) {
        return new NmsOptions(confidence, iou, multiLabel, agnostic, classes, maxDetections, maxCandidates);
    }

    public NmsOptions withIou(float iou) {
        return new NmsOptions(confidence, iou, multiLabel, agnostic, classes, maxDetections, maxCandidates);
    }

    /** Keep only these class ids (null: all). */
    public NmsOptions withClasses(Set<Integer> classes) {
        return new NmsOptions(confidence, iou, multiLabel, agnostic, classes, maxDetections, maxCandidates);
    }
}
