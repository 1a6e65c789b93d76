package io.dydet.spark;

import io.dydet.infer.Detector;
import io.dydet.weights.WeightsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;

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

    static Detector get(SparkDetectSettings s) {
        return DETECTORS.computeIfAbsent(s, k -> {
            try {
                return k.build(locate(k.modelFile()));
            } catch (WeightsException e) {
                throw new IllegalStateException("cannot load the model " + k.modelFile() + ": " + e.getMessage(), e);
            }
        });
    }

    /** The model file: a path this executor can read, else a file shipped with the job (SparkContext.addFile). */
    static Path locate(String modelFile) {
        Path p = Path.of(modelFile);
        if (Files.isRegularFile(p)) return p;
        Path shipped = Path.of(SparkFiles.get(p.getFileName().toString()));
        if (Files.isRegularFile(shipped)) return shipped;
        throw new IllegalStateException("model file " + modelFile
                + " is neither readable on this executor nor shipped with the job (" + shipped + ")");
    }

    static void closeAll() {
        for (Detector d : DETECTORS.values()) d.close();
        DETECTORS.clear();
    }
}
