package io.dydet.cli;

import io.dydet.data.Sources;
import io.dydet.infer.DetectJob;
import io.dydet.infer.Detector;
import io.dydet.runs.RunDir;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "detect",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {
            ExitCodes.SUCCESS,
            ExitCodes.FAILURE,
            ExitCodes.USAGE,
            "3:some images could not be read (listed in detections.json with an error; the others were processed)"
        },
        description =
                "Detect objects in images: annotated images, YOLO label files and detections.json in a new run folder.")
final class DetectCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "FILE|DIR|GLOB|LIST.txt",
            description = "images to detect")
    String source;

    @Mixin
    DetectorOptions detectorOptions;

    @Mixin
    ThresholdOptions threshold;

    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            defaultValue = "8",
            description = "images per forward pass, grouped by letterboxed shape (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--classes", arity = "1..*", paramLabel = "ID", description = "keep only these class ids")
    List<Integer> classes;

    @Option(names = "--agnostic", description = "class-agnostic NMS")
    boolean agnostic;

    @Option(names = "--save-txt", description = "write YOLO label files with confidences to labels/")
    boolean saveTxt;

    @Option(names = "--no-save-img", description = "do not write annotated images")
    boolean noSaveImg;

    @Option(
            names = "--project",
            defaultValue = "runs/detect",
            description = "parent of run folders (default ${DEFAULT-VALUE})")
    Path project;

    @Option(
            names = "--name",
            defaultValue = "exp",
            description = "run folder name (exp, exp2, ... ; default ${DEFAULT-VALUE})")
    String name;

    @Override
    public Integer call() throws Exception {
        List<Path> files = Sources.resolve(source);
        Detector.Builder b = backend.apply(detectorOptions.builder(modelOptions, runtime, threshold))
                .batchSize(batch)
                .agnostic(agnostic)
                .classes(classes == null ? null : new HashSet<>(classes));
        try (Detector detector = b.build()) {
            float dyThres = detector.routerThreshold();
            Path run = RunDir.create(project, name);
            ProgressBar bar = new ProgressBar("detect", files.size());
            DetectJob.Summary s = DetectJob.run(
                    detector,
                    files,
                    run,
                    new DetectJob.Options(!noSaveImg, saveTxt, Math.max(batch, 8)),
                    (done, total) -> bar.update(done));
            bar.finish();
            int ok = s.images() - s.failed();
            System.out.printf(
                    "%d images (%d unreadable): route 1 %.1f%%, route 2 %.1f%% at threshold %.3f; per image: pre %.1f ms, model %.1f ms, NMS %.1f ms%n",
                    s.images(),
                    s.failed(),
                    100 * s.route1Share(),
                    ok == 0 ? 0 : 100.0 * s.route2() / ok,
                    dyThres,
                    s.preMs(),
                    s.modelMs(),
                    s.nmsMs());
            System.out.println("results in " + run + " (detections.json" + (saveTxt ? ", labels/" : "")
                    + (noSaveImg ? "" : ", annotated images") + ")");
            return s.failed() > 0 ? 3 : 0;
        }
    }
}
