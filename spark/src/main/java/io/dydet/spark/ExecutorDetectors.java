package io.dydet.spark;

import io.dydet.infer.Detector;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link Detector} per executor JVM and settings, built on first use and shared by every partition that JVM
 * runs (a Detector is thread-safe), closed when the JVM shuts down.
 */
final class ExecutorDetectors {
    private static final Map<SparkDetectSettings, Detector> DETECTORS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorDetectors::closeAll, "dydet-detectors-close"));
    }

    private ExecutorDetectors() {}

    /** Where executors keep shipped models (per machine, by content hash). */
    static final Path SHIPPED = Path.of(System.getProperty("java.io.tmpdir"), "dydet-models");

    static Detector get(SparkDetectSettings s, ModelShipment model) {
        return DETECTORS.computeIfAbsent(s, k -> {
            try {
                return k.build(model.materialize(Path.of(k.modelFile()), SHIPPED));
            } catch (WeightsException e) {
                throw new IllegalStateException("cannot load the model " + k.modelFile() + ": " + e.getMessage(), e);
            }
        });
    }

    static void closeAll() {
        for (Detector d : DETECTORS.values()) d.close();
        DETECTORS.clear();
    }
}
