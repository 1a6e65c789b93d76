package io.dydet.cli;

import ai.djl.Device;
import io.dydet.data.DataConfig;
import io.dydet.data.Images;
import io.dydet.infer.Calibrator;
import io.dydet.infer.ModelLoader;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ThresholdTable;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "calibrate",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = "Router thresholds for easy shares 100%%..0%% from a validation set, stored in the model file.")
final class CalibrateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "D.yaml",
            description = "calibration images: the data set's val split")
    Path data;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "image size (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            defaultValue = "32",
            description = "images per forward among images of one shape (default ${DEFAULT-VALUE})")
    int batch;

    @Option(
            names = {"-o", "--out"},
            paramLabel = "MODEL.safetensors",
            description = "model file to write (default: update --weights in place when it is a dydet model file)")
    Path output;

    // the old spelling of --out
    @Option(names = "--output", hidden = true, paramLabel = "MODEL.safetensors")
    void output(Path p) {
        output = p;
    }

    @Override
    public Integer call() throws Exception {
        modelOptions.requireWeights();
        List<Path> images = DataConfig.load(data).images("val");
        Device device = runtime.start();
        try (ModelLoader loader = ModelLoader.open(modelOptions.weights, modelOptions.spec(), device)) {
            int img = loader.imageSize(this.img);
            Path target = output;
            if (target == null) {
                boolean modelFile = false;
                if (modelOptions.weights.toString().endsWith(".safetensors")) {
                    try (SafeTensorsFile f = SafeTensors.open(modelOptions.weights)) {
                        modelFile = ModelArtifact.isModelFile(f.metadata());
                    }
                }
                if (!modelFile)
                    throw new IllegalArgumentException(
                            modelOptions.weights + " is not a dydet model file; give -o MODEL.safetensors");
                target = modelOptions.weights;
            }
            ProgressBar bar = new ProgressBar("calibrate", images.size());
            // the training form stays: it is saved again with the calibration
            Calibrator.Scores s = Calibrator.scores(
                    loader.deploy(backend.precision(), backend.get(), false),
                    images,
                    img,
                    batch,
                    Images.DEFAULT_PIXEL_LIMIT,
                    (d, t) -> bar.update(d));
            bar.finish();
            for (String skip : s.skipped()) System.err.println("skipped " + skip);
            ThresholdTable table =
                    ThresholdTable.fromScores(s.scores(), s.route1Gflops(), s.route2Gflops(), img, data.toString());
            ModelFiles.save(target, loader.trainingForm(), loader.artifact().withCalibration(table));
            System.out.printf("%-8s %-8s %-12s %s%n", "easy %", "hard %", "threshold", "GFLOPs/image");
            for (ThresholdTable.Entry e : table.entries())
                System.out.printf(
                        "%-8.0f %-8.0f %-12.6f %.2f%n",
                        100 * e.easyShare(), 100 * (1 - e.easyShare()), e.threshold(), e.gflops());
            System.out.printf(
                    "%d images at %d; written to %s (use --easy-ratio or --gflops with detect and val)%n",
                    s.scores().length, img, target);
        }
        return 0;
    }
}
