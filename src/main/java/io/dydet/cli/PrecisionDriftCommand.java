package io.dydet.cli;

import io.dydet.data.Sources;
import io.dydet.files.AtomicFile;
import io.dydet.infer.Detector;
import io.dydet.infer.PrecisionDrift;
import io.dydet.json.Json;
import io.dydet.model.Precision;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "precision-drift",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = {
            "How far a lower precision (bf16) drifts from fp32 on your images: the largest change of both routes'",
            "decoded boxes and confidences, and how many images' detections (after NMS) or routes change."
        })
final class PrecisionDriftCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    ThresholdOptions threshold;

    @Mixin
    DetectorOptions detectorOptions;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "FILE|DIR|GLOB|LIST.txt",
            description = "images to compare on")
    String source;

    @Option(
            names = "--precision",
            defaultValue = "bf16",
            paramLabel = "bf16",
            description = "precision compared with fp32 (default ${DEFAULT-VALUE})")
    String precision;

    @Option(
            names = "--box-tolerance",
            defaultValue = "1.0",
            paramLabel = "PX",
            description =
                    "a detection is kept when the other side has one of its class with every corner within this many pixels (default ${DEFAULT-VALUE})")
    double boxTolerance;

    @Option(
            names = {"-o", "--out"},
            paramLabel = "FILE.json",
            description = "also write the figures, and the changed images, to this JSON file")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Path> files = Sources.resolve(source);
        Precision other = Precision.parse(precision);
        try (Detector reference = detectorOptions
                        .builder(modelOptions, runtime, threshold)
                        .build();
                Detector lower = detectorOptions
                        .builder(modelOptions, runtime, threshold)
                        .precision(other)
                        .build()) {
            List<PrecisionDrift.OutputDrift> outputs = PrecisionDrift.outputs(reference, lower, files);
            PrecisionDrift.DetectionDrift detections = PrecisionDrift.detections(reference, lower, files, boxTolerance);
            System.out.printf(
                    "%s against fp32 on %d images at %d px, router threshold %.4f%n",
                    other.cliName(), files.size(), reference.imageSize(), reference.routerThreshold());
            System.out.printf(
                    "%-7s %18s %18s %18s%n", "route", "max box change px", "max conf change", "max score change");
            for (PrecisionDrift.OutputDrift d : outputs)
                System.out.printf(
                        "%-7d %18.4f %18.5f %18.5f%n",
                        d.route().number(), d.maxBoxPx(), d.maxConfidence(), d.maxScore());
            System.out.printf(
                    "after NMS (conf %.2f, iou %.2f): %d of %d images changed (%d took another route); detections %d -> %d, %d lost, %d added;%n",
                    detectorOptions.conf,
                    detectorOptions.iou,
                    detections.imagesChanged(),
                    detections.images(),
                    detections.routesChanged(),
                    detections.referenceDetections(),
                    detections.otherDetections(),
                    detections.lost(),
                    detections.added());
            System.out.printf(
                    "kept detections moved at most %.3f px, confidence at most %.5f%n",
                    detections.maxBoxPx(), detections.maxConfidence());
            if (out != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("precision", other.cliName());
                m.put("weights", String.valueOf(modelOptions.weights));
                m.put("images", files.size());
                m.put("img", reference.imageSize());
                m.put("router_threshold", reference.routerThreshold());
                m.put(
                        "outputs",
                        outputs.stream().map(PrecisionDrift.OutputDrift::toJson).toList());
                m.put("detections", detections.toJson());
                AtomicFile.writeString(out, Json.PRETTY.writeValueAsString(m));
            }
            return 0;
        }
    }
}
