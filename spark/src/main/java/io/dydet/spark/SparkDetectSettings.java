package io.dydet.spark;

import io.dydet.infer.Backend;
import io.dydet.infer.Detector;
import io.dydet.model.ModelSpec;
import io.dydet.model.Precision;
import io.dydet.model.RouterSetting;
import io.dydet.weights.WeightsException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every executor needs to build the same {@link Detector}: the model file (a path every executor can read, or
 * the name of a file shipped with the job through SparkContext.addFile), its definition when the file carries
 * none, and the detect settings of {@code dydet detect}.
 *
 * @param modelFile path or shipped file name of the weights
 * @param definition a built-in model name, or the text of a cfg file; null when the weights describe their model
 * @param routerMode "threshold" (value = the router threshold) or "easy-ratio" (value = the share on route 1)
 * @param batch images per forward pass (equal letterboxed shapes)
 * @param threads intra-op threads per executor JVM; 0 = the engine's default (all cores)
 * @param failFirstAttemptOfPartition fault injection for tests: fail the first attempt of this partition after its
 *     first image (-1: never)
 */
public record SparkDetectSettings(String modelFile, String definition, int imageSize, float confidence, float iou, String routerMode,
                                  double routerValue, int batch, int threads, String backend, String precision,
                                  int failFirstAttemptOfPartition)
        implements Serializable {
    public SparkDetectSettings {
        if (modelFile == null || modelFile.isBlank()) throw new IllegalArgumentException("a model file is required");
        if (!routerMode.equals("threshold") && !routerMode.equals("easy-ratio"))
            throw new IllegalArgumentException("router mode must be threshold or easy-ratio, got " + routerMode);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        Backend.parse(backend).checkPrecision(Precision.parse(precision));
    }

    /** dydet detect's defaults on a model file: its own image size, conf 0.25, IoU 0.45, threshold 0.5, batch 8. */
    public static SparkDetectSettings of(String modelFile) {
        return new SparkDetectSettings(modelFile, null, 0, 0.25f, 0.45f, "threshold", 0.5, 8, 0, "torch", "fp32", -1);
    }

    public SparkDetectSettings withDefinition(String definition) {
        return new SparkDetectSettings(modelFile, definition, imageSize, confidence, iou, routerMode, routerValue, batch, threads, backend,
                precision, failFirstAttemptOfPartition);
    }

    public SparkDetectSettings withDetect(int imageSize, float confidence, float iou, int batch, int threads, String backend) {
        return new SparkDetectSettings(modelFile, definition, imageSize, confidence, iou, routerMode, routerValue, batch, threads, backend,
                precision, failFirstAttemptOfPartition);
    }

    public SparkDetectSettings withRouter(String mode, double value) {
        return new SparkDetectSettings(modelFile, definition, imageSize, confidence, iou, mode, value, batch, threads, backend,
                precision, failFirstAttemptOfPartition);
    }

    /** fp32 (default) or bf16 (torch backend), as {@code dydet detect --precision}. */
    public SparkDetectSettings withPrecision(String precision) {
        return new SparkDetectSettings(modelFile, definition, imageSize, confidence, iou, routerMode, routerValue, batch, threads, backend,
                precision, failFirstAttemptOfPartition);
    }

    public SparkDetectSettings withInjectedFailure(int partition) {
        return new SparkDetectSettings(modelFile, definition, imageSize, confidence, iou, routerMode, routerValue, batch, threads, backend, precision, partition);
    }

    /** The detector these settings describe, on the weights at {@code weights}. */
    Detector build(Path weights) throws WeightsException {
        Detector.Builder b = Detector.builder().weights(weights).confidence(confidence).iou(iou).batchSize(batch).threads(threads)
                .backend(Backend.parse(backend)).precision(Precision.parse(precision))
                .router(routerMode.equals("easy-ratio") ? new RouterSetting.EasyRatio(routerValue) : new RouterSetting.Threshold((float) routerValue));
        if (definition != null) b.model(spec());
        if (imageSize > 0) b.imageSize(imageSize);
        return b.build();
    }

    private ModelSpec spec() {
        if (definition.contains("\n")) return ModelSpec.parse(definition, "cfg", "the job's cfg");
        return ModelSpec.builtIn(definition);
    }

    /** Reads a cfg file into a definition these settings can carry to the executors. */
    public static String definitionOf(String builtInOrCfgFile) throws IOException {
        Path p = Path.of(builtInOrCfgFile);
        return Files.isRegularFile(p) ? Files.readString(p) : builtInOrCfgFile;
    }
}
