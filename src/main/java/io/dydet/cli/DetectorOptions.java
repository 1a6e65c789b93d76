package io.dydet.cli;

import io.dydet.infer.Detector;
import picocli.CommandLine.Option;

/** Letterbox size and NMS thresholds, shared by the commands that build a {@link Detector}. */
final class DetectorOptions {
    @Option(names = "--img", paramLabel = "N", description = "letterbox size (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(names = "--conf", defaultValue = "0.25", description = "confidence threshold (default ${DEFAULT-VALUE})")
    float conf;

    @Option(names = "--iou", defaultValue = "0.45", description = "NMS IoU threshold (default ${DEFAULT-VALUE})")
    float iou;

    /** A detector builder (torch, fp32) for the named model with these and the shared model, engine and routing options. */
    Detector.Builder builder(ModelOptions model, RuntimeOptions runtime, ThresholdOptions threshold) {
        if (model.weights == null) throw new IllegalArgumentException("--weights is required");
        Detector.Builder b = Detector.builder().weights(model.weights).model(model.spec()).device(runtime.device).threads(runtime.threads)
                .confidence(conf).iou(iou).router(threshold.setting());
        if (img != null) b.imageSize(img);
        return b;
    }
}
