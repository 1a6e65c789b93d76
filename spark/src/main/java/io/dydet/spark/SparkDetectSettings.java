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
import java.util.Objects;

/**
 * What every executor needs to build the same {@link Detector}: the model file (the driver's path; the job ships its
 * bytes to executors that cannot read it, see {@link ModelShipment}), its definition when the file carries none, and
 * the detect settings of {@code dydet detect}. Equal settings share one detector per executor JVM.
 *
 * <ul>
 *   <li>modelFile: the weights' path on the driver
 *   <li>definition: a built-in model name, or the text of a cfg file; null when the weights describe their model
 *   <li>routerMode and routerValue: the router threshold, or the share of images on route 1
 *   <li>batch: images per forward pass (equal letterboxed shapes)
 *   <li>threads: intra-op threads per executor JVM; 0 = the engine's default (all cores)
 * </ul>
 */
public final class SparkDetectSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How the router's value is read. */
    public enum RouterMode {
        /** The value is the router threshold: images scoring at least it stay on route 1. */
        THRESHOLD("threshold"),
        /** The value is the share of images that stay on route 1. */
        EASY_RATIO("easy-ratio");

        private final String id;

        RouterMode(String id) {
            this.id = id;
        }

        /** As the command line spells it. */
        public String id() {
            return id;
        }

        public static RouterMode parse(String id) {
            for (RouterMode m : values()) if (m.id.equals(id)) return m;
            throw new IllegalArgumentException("router mode must be threshold or easy-ratio, got " + id);
        }
    }

    private final String modelFile;
    private final String definition;
    private final int imageSize;
    private final float confidence;
    private final float iou;
    private final RouterMode routerMode;
    private final double routerValue;
    private final int batch;
    private final int threads;
    private final Backend backend;
    private final Precision precision;

    private SparkDetectSettings(
            String modelFile,
            String definition,
            Detect detect,
            RouterMode routerMode,
            double routerValue,
            Precision precision) {
        if (modelFile == null || modelFile.isBlank()) throw new IllegalArgumentException("a model file is required");
        if (detect.batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + detect.batch);
        this.modelFile = modelFile;
        this.definition = definition;
        this.imageSize = detect.imageSize;
        this.confidence = detect.confidence;
        this.iou = detect.iou;
        this.routerMode = Objects.requireNonNull(routerMode, "router mode");
        this.routerValue = routerValue;
        this.batch = detect.batch;
        this.threads = detect.threads;
        this.backend = Objects.requireNonNull(detect.backend, "backend");
        this.precision = Objects.requireNonNull(precision, "precision");
        backend.checkPrecision(precision);
    }

    /** The settings {@link #withDetect} takes together, as {@code dydet detect}'s options. */
    private record Detect(int imageSize, float confidence, float iou, int batch, int threads, Backend backend) {}

    private Detect detect() {
        return new Detect(imageSize, confidence, iou, batch, threads, backend);
    }

    /** dydet detect's defaults on a model file: its own image size, conf 0.25, IoU 0.45, threshold 0.5, batch 8. */
    public static SparkDetectSettings of(String modelFile) {
        return new SparkDetectSettings(
                modelFile,
                null,
                new Detect(0, 0.25f, 0.45f, 8, 0, Backend.TORCH),
                RouterMode.THRESHOLD,
                0.5,
                Precision.FLOAT32);
    }

    public SparkDetectSettings withDefinition(String definition) {
        return new SparkDetectSettings(modelFile, definition, detect(), routerMode, routerValue, precision);
    }

    public SparkDetectSettings withDetect(
            int imageSize, float confidence, float iou, int batch, int threads, Backend backend) {
        return new SparkDetectSettings(
                modelFile,
                definition,
                new Detect(imageSize, confidence, iou, batch, threads, backend),
                routerMode,
                routerValue,
                precision);
    }

    public SparkDetectSettings withRouter(RouterMode mode, double value) {
        return new SparkDetectSettings(modelFile, definition, detect(), mode, value, precision);
    }

    /** fp32 (default) or bf16 (torch backend), as {@code dydet detect --precision}. */
    public SparkDetectSettings withPrecision(Precision precision) {
        return new SparkDetectSettings(modelFile, definition, detect(), routerMode, routerValue, precision);
    }

    public String modelFile() {
        return modelFile;
    }

    public String definition() {
        return definition;
    }

    public int imageSize() {
        return imageSize;
    }

    public float confidence() {
        return confidence;
    }

    public float iou() {
        return iou;
    }

    public RouterMode routerMode() {
        return routerMode;
    }

    public double routerValue() {
        return routerValue;
    }

    public int batch() {
        return batch;
    }

    public int threads() {
        return threads;
    }

    public Backend backend() {
        return backend;
    }

    public Precision precision() {
        return precision;
    }

    /** The detector these settings describe, on the weights at {@code weights}. */
    Detector build(Path weights) throws WeightsException {
        Detector.Builder b = Detector.builder()
                .weights(weights)
                .confidence(confidence)
                .iou(iou)
                .batchSize(batch)
                .threads(threads)
                .backend(backend)
                .precision(precision)
                .router(
                        routerMode == RouterMode.EASY_RATIO
                                ? new RouterSetting.EasyRatio(routerValue)
                                : new RouterSetting.Threshold((float) routerValue));
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

    private java.util.List<Object> components() {
        return java.util.Arrays.asList(
                modelFile,
                definition,
                imageSize,
                confidence,
                iou,
                routerMode,
                routerValue,
                batch,
                threads,
                backend,
                precision);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparkDetectSettings s && components().equals(s.components());
    }

    @Override
    public int hashCode() {
        return components().hashCode();
    }

    @Override
    public String toString() {
        return "SparkDetectSettings[modelFile=" + modelFile + ", definition="
                + (definition == null ? null : definition.length() + " chars") + ", imageSize="
                + imageSize + ", confidence=" + confidence + ", iou=" + iou + ", routerMode=" + routerMode.id()
                + ", routerValue=" + routerValue
                + ", batch=" + batch + ", threads=" + threads + ", backend=" + backend + ", precision="
                + precision.cliName() + "]";
    }
}
