package io.dydet.model;

/**
 * How the router threshold is chosen: a raw threshold, or from the model's calibration by easy share, GFLOPs budget
 * or latency budget (the most accurate calibrated setting that fits).
 */
public sealed interface RouterSetting {
    /** The threshold for a model file's artifact; {@code source} names the file in errors. */
    float resolve(ModelArtifact artifact, String source);

    record Threshold(float value) implements RouterSetting {
        public Threshold {
            if (!(value >= 0f && value <= 1f))
                throw new IllegalArgumentException("router threshold must be in [0, 1], got " + value);
        }

        @Override
        public float resolve(ModelArtifact artifact, String source) {
            return value;
        }
    }

    record EasyRatio(double ratio) implements RouterSetting {
        @Override
        public float resolve(ModelArtifact artifact, String source) {
            return (float) artifact.requireThresholds(source).thresholdForEasyRatio(ratio);
        }
    }

    record GflopsBudget(double gflops) implements RouterSetting {
        @Override
        public float resolve(ModelArtifact artifact, String source) {
            return (float)
                    artifact.requireThresholds(source).forGflopsBudget(gflops).threshold();
        }
    }

    record LatencyBudget(double ms, double route1Ms, double route2Ms) implements RouterSetting {
        @Override
        public float resolve(ModelArtifact artifact, String source) {
            return (float) artifact.requireThresholds(source)
                    .forLatencyBudget(ms, route1Ms, route2Ms)
                    .threshold();
        }
    }
}
