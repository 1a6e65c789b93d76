package io.dydet.serve;

import io.dydet.infer.DetectSettings;
import io.dydet.infer.ImageDetections;
import java.util.List;
import org.opencv.core.Mat;

/**
 * Runs one batch of decoded images, each with its own settings, and returns their results in order: the seam
 * between the service and an inference backend ({@link io.dydet.infer.Detector#detectDecoded(List, List, List)}).
 */
@FunctionalInterface
public interface BatchRunner {
    List<ImageDetections> run(List<Mat> bgr, List<String> labels, List<DetectSettings> settings);
}
