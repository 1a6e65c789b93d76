package io.dydet.infer;

import ai.djl.Device;
import io.dydet.model.ModelSpec;
import io.dydet.model.Precision;
import io.dydet.model.RouterSetting;
import java.nio.file.Path;

/**
 * What an {@link Evaluation} evaluates and how, built by name ({@link #builder()} starts from the val command's defaults):
 *
 * <ul>
 * <li>weights: the model file</li>
 * <li>spec: the definition when the weights carry none (an original checkpoint)</li>
 * <li>device: where the model runs</li>
 * <li>backend: libtorch or ONNX Runtime</li>
 * <li>precision: the deploy form's number format</li>
 * <li>imageSize: null: the size stored in the model file</li>
 * <li>batch: images per forward, among images of one shape</li>
 * <li>confidence: the original test.py's confidence threshold</li>
 * <li>iou: the original test.py's NMS IoU threshold</li>
 * <li>router: the router threshold (the original's default 0.5)</li>
 * <li>groundTruth: COCO instances JSON; null: annotations/instances_&lt;split folder&gt;.json beside the images, else the YOLO labels</li>
 * <li>sweep: run both routes once per image and evaluate every easy/hard split</li>
 * <li>randomRouter: with a sweep: a seeded random easiness score per image instead of the router's (the baseline)</li>
 * <li>seed: seed of the random router and of the random draws</li>
 * <li>randomDraws: with a sweep: random routers behind the routing diagnostics (0: none)</li>
 * </ul>
 */
public final class EvaluationSettings {
    private final Path weights;
    private final ModelSpec spec;
    private final Device device;
    private final Backend backend;
    private final Precision precision;
    private final Integer imageSize;
    private final int batch;
    private final float confidence;
    private final float iou;
    private final RouterSetting router;
    private final Path groundTruth;
    private final boolean sweep;
    private final boolean randomRouter;
    private final long seed;
    private final int randomDraws;

    private EvaluationSettings(Builder b) {
        this.weights = b.weights;
        this.spec = b.spec;
        this.device = b.device;
        this.backend = b.backend;
        this.precision = b.precision;
        this.imageSize = b.imageSize;
        this.batch = b.batch;
        this.confidence = b.confidence;
        this.iou = b.iou;
        this.router = b.router;
        this.groundTruth = b.groundTruth;
        this.sweep = b.sweep;
        this.randomRouter = b.randomRouter;
        this.seed = b.seed;
        this.randomDraws = b.randomDraws;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.weights = weights;
        b.spec = spec;
        b.device = device;
        b.backend = backend;
        b.precision = precision;
        b.imageSize = imageSize;
        b.batch = batch;
        b.confidence = confidence;
        b.iou = iou;
        b.router = router;
        b.groundTruth = groundTruth;
        b.sweep = sweep;
        b.randomRouter = randomRouter;
        b.seed = seed;
        b.randomDraws = randomDraws;
        return b;
    }

    public Path weights() {
        return weights;
    }

    public ModelSpec spec() {
        return spec;
    }

    public Device device() {
        return device;
    }

    public Backend backend() {
        return backend;
    }

    public Precision precision() {
        return precision;
    }

    public Integer imageSize() {
        return imageSize;
    }

    public int batch() {
        return batch;
    }

    public float confidence() {
        return confidence;
    }

    public float iou() {
        return iou;
    }

    public RouterSetting router() {
        return router;
    }

    public Path groundTruth() {
        return groundTruth;
    }

    public boolean sweep() {
        return sweep;
    }

    public boolean randomRouter() {
        return randomRouter;
    }

    public long seed() {
        return seed;
    }

    public int randomDraws() {
        return randomDraws;
    }

    public static final class Builder {
        private Path weights;
        private ModelSpec spec;
        private Device device;
        private Backend backend = Backend.TORCH;
        private Precision precision = Precision.FLOAT32;
        private Integer imageSize;
        private int batch = 32;
        private float confidence = 0.001f;
        private float iou = 0.65f;
        private RouterSetting router = new RouterSetting.Threshold(0.5f);
        private Path groundTruth;
        private boolean sweep;
        private boolean randomRouter;
        private long seed;
        private int randomDraws;

        private Builder() {}

        public Builder weights(Path v) {
            this.weights = v;
            return this;
        }

        public Builder spec(ModelSpec v) {
            this.spec = v;
            return this;
        }

        public Builder device(Device v) {
            this.device = v;
            return this;
        }

        public Builder backend(Backend v) {
            this.backend = v;
            return this;
        }

        public Builder precision(Precision v) {
            this.precision = v;
            return this;
        }

        public Builder imageSize(Integer v) {
            this.imageSize = v;
            return this;
        }

        public Builder batch(int v) {
            this.batch = v;
            return this;
        }

        public Builder confidence(float v) {
            this.confidence = v;
            return this;
        }

        public Builder iou(float v) {
            this.iou = v;
            return this;
        }

        public Builder router(RouterSetting v) {
            this.router = v;
            return this;
        }

        public Builder groundTruth(Path v) {
            this.groundTruth = v;
            return this;
        }

        public Builder sweep(boolean v) {
            this.sweep = v;
            return this;
        }

        public Builder randomRouter(boolean v) {
            this.randomRouter = v;
            return this;
        }

        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        public Builder randomDraws(int v) {
            this.randomDraws = v;
            return this;
        }

        public EvaluationSettings build() {
            return new EvaluationSettings(this);
        }
    }
}
