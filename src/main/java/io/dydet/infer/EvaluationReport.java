package io.dydet.infer;

import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import io.dydet.eval.DetectionMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What an {@link Evaluation} run measured, and the run folder it wrote (built by name: too many values for positions). */
public final class EvaluationReport {
    private final Path runDir;
    private final CocoMetrics coco;
    private final DetectionMetrics.Result internal;
    private final CocoGroundTruth truth;
    private final float routerThreshold;
    private final int images;
    private final int unreadable;
    private final int route1;
    private final double gflopsPerImage;
    private final double modelMsPerImage;
    private final Map<String, Object> metrics;
    private final List<Sweep.Row> sweep;
    private final RoutingDiagnostics.Result diagnostics;

    private EvaluationReport(Builder b) {
        this.runDir = b.runDir;
        this.coco = b.coco;
        this.internal = b.internal;
        this.truth = b.truth;
        this.routerThreshold = b.routerThreshold;
        this.images = b.images;
        this.unreadable = b.unreadable;
        this.route1 = b.route1;
        this.gflopsPerImage = b.gflopsPerImage;
        this.modelMsPerImage = b.modelMsPerImage;
        this.metrics = b.metrics;
        this.sweep = b.sweep;
        this.diagnostics = b.diagnostics;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path runDir() {
        return runDir;
    }

    public CocoMetrics coco() {
        return coco;
    }

    public DetectionMetrics.Result internal() {
        return internal;
    }

    public CocoGroundTruth truth() {
        return truth;
    }

    public float routerThreshold() {
        return routerThreshold;
    }

    public int images() {
        return images;
    }

    public int unreadable() {
        return unreadable;
    }

    public int route1() {
        return route1;
    }

    public double gflopsPerImage() {
        return gflopsPerImage;
    }

    public double modelMsPerImage() {
        return modelMsPerImage;
    }

    public Map<String, Object> metrics() {
        return metrics;
    }

    public List<Sweep.Row> sweep() {
        return sweep;
    }

    public RoutingDiagnostics.Result diagnostics() {
        return diagnostics;
    }

    public static final class Builder {
        private Path runDir;
        private CocoMetrics coco;
        private DetectionMetrics.Result internal;
        private CocoGroundTruth truth;
        private float routerThreshold;
        private int images;
        private int unreadable;
        private int route1;
        private double gflopsPerImage;
        private double modelMsPerImage;
        private Map<String, Object> metrics;
        private List<Sweep.Row> sweep;
        private RoutingDiagnostics.Result diagnostics;

        private Builder() {}

        public Builder runDir(Path v) {
            this.runDir = v;
            return this;
        }

        public Builder coco(CocoMetrics v) {
            this.coco = v;
            return this;
        }

        public Builder internal(DetectionMetrics.Result v) {
            this.internal = v;
            return this;
        }

        public Builder truth(CocoGroundTruth v) {
            this.truth = v;
            return this;
        }

        public Builder routerThreshold(float v) {
            this.routerThreshold = v;
            return this;
        }

        public Builder images(int v) {
            this.images = v;
            return this;
        }

        public Builder unreadable(int v) {
            this.unreadable = v;
            return this;
        }

        public Builder route1(int v) {
            this.route1 = v;
            return this;
        }

        public Builder gflopsPerImage(double v) {
            this.gflopsPerImage = v;
            return this;
        }

        public Builder modelMsPerImage(double v) {
            this.modelMsPerImage = v;
            return this;
        }

        public Builder metrics(Map<String, Object> v) {
            this.metrics = v;
            return this;
        }

        public Builder sweep(List<Sweep.Row> v) {
            this.sweep = v;
            return this;
        }

        public Builder diagnostics(RoutingDiagnostics.Result v) {
            this.diagnostics = v;
            return this;
        }

        public EvaluationReport build() {
            return new EvaluationReport(this);
        }
    }
}
