package io.dydet.cli;

import io.dydet.infer.Detector;
import picocli.CommandLine.Option;

/** Letterbox size and NMS thresholds, shared by the commands that build a {@link Detector}. */
public final class DetectorOptions {
    // --img-size, --conf-thres, --iou-thres: the original detect.py's spellings
    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "letterbox size (default: the model file's, else 640; 1280 for W6)")
    public Integer img;

    @Option(
            names = {"--conf", "--conf-thres"},
            paramLabel = "C",
            defaultValue = "0.25",
            description = "confidence threshold (default ${DEFAULT-VALUE})")
    public float conf;

    @Option(
            names = {"--iou", "--iou-thres"},
            paramLabel = "I",
            defaultValue = "0.45",
            description = "NMS IoU threshold (default ${DEFAULT-VALUE})")
    public float iou;

    /** A detector builder (torch, fp32) for the named model with these and the shared model, engine and routing options. */
    public Detector.Builder builder(ModelOptions model, RuntimeOptions runtime, ThresholdOptions threshold) {
        Detector.Builder b = Detector.builder()
                .weights(model.requireWeights())
                .model(model.spec())
                .device(runtime.device)
                .threads(runtime.threads)
                .confidence(conf)
                .iou(iou)
                .router(threshold.setting());
        if (img != null) b.imageSize(img);
        return b;
    }
}
