package io.dydet.cli;

import ai.djl.Device;
import io.dydet.engine.Engines;
import io.dydet.infer.ModelLoader;
import io.dydet.model.DynamicDetModel;
import io.dydet.onnx.ExportFiles;
import io.dydet.onnx.OnnxExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = {
            "Export the deploy-form model as ONNX (opset 17, dynamic batch and image size): route1_stem.onnx,",
            "route1_head.onnx, route2.onnx and model.json, which says how to connect them and route each image."
        })
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ThresholdOptions threshold;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "image size recorded in model.json (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(
            names = {"-o", "--out"},
            required = true,
            paramLabel = "DIR",
            description = "folder for the exported files")
    Path out;

    @Override
    public Integer call() throws Exception {
        modelOptions.requireWeights();
        Engines.start(0);
        try (ModelLoader loader = ModelLoader.open(modelOptions.weights, modelOptions.spec(), Device.cpu())) {
            DynamicDetModel fused = loader.deployForm();
            int size = img != null ? img : loader.artifact().imageSize();
            float dyThres = loader.network().isDynamic() ? loader.routerThreshold(threshold.setting()) : 1f;
            OnnxExport.Graphs g = ExportFiles.write(out, fused, loader.artifact(), size, dyThres);
            System.out.printf(
                    "%s: %s (%.1f MB), %s (%.1f MB), %s (%.1f MB), %s in %s%n",
                    loader.artifact().modelName(),
                    ExportFiles.STEM,
                    g.route1Stem().length / 1e6,
                    ExportFiles.HEAD1,
                    g.route1Head().length / 1e6,
                    ExportFiles.ROUTE2,
                    g.route2().length / 1e6,
                    ExportFiles.DESCRIPTION,
                    out);
            return 0;
        }
    }
}
