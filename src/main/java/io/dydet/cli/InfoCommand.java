package io.dydet.cli;

import io.dydet.json.Json;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelInfo;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Describes a model without loading its weights: fast on any file, and no tensor values are read, so damage to them is
 * found when a command loads the model (see ModelFiles.open), not here.
 */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = {
            "Parameters per part and GFLOPs per route (2 x conv MACs of the fused model, router included).",
            "With --weights it reads only the file's header (names, shapes, metadata): tensor values (NaN or infinite "
                    + "weights, a .pt entry's CRC) are checked by the commands that load them (detect, val, import, serve, train)."
        })
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "square input size (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelSpec spec = modelOptions.spec();
        Map<String, String> stored = Map.of();
        if (modelOptions.weights != null && !modelOptions.weights.toString().endsWith(".pt")) {
            try (SafeTensorsFile f = SafeTensors.open(modelOptions.weights)) {
                stored = f.metadata();
            }
        }
        if (spec == null) spec = ModelFiles.describedSpec(modelOptions.weights);
        Network net = Network.build(spec);
        if (modelOptions.weights != null) ModelFiles.checkFits(modelOptions.weights, net);
        int size = modelOptions.imageSize(img, net);
        ModelInfo info = ModelInfo.of(net, size);
        ModelArtifact artifact = ModelArtifact.isModelFile(stored)
                ? ModelArtifact.fromMetadata(stored, modelOptions.weights.toString())
                : null;
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>(info.toJson());
            if (artifact != null) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("classes", artifact.classNames());
                a.put("image_size", artifact.imageSize());
                a.put("strides", artifact.strides());
                a.put("calibration", artifact.calibration());
                a.put("provenance", artifact.provenance());
                j.put("model_file", a);
            }
            System.out.println(Json.PRETTY.writeValueAsString(j));
            return 0;
        }
        System.out.printf(
                "model %s (%s), input %dx%d, %d classes, %s%n",
                info.model(),
                spec.source(),
                size,
                size,
                spec.nc(),
                net.isDynamic() ? "dynamic (router)" : "step-1 form (no router)");
        System.out.printf("%-28s %14s%n", "part", "parameters");
        String[][] labels = {
            {"b1", "backbone 1"},
            {"b2", "backbone 2 (incl. CBLinear)"},
            {"head1", "head 1"},
            {"head2", "head 2"},
            {"router", "router"}
        };
        Map<String, Long> p = info.params();
        for (String[] l : labels) System.out.printf("%-28s %,14d%n", l[1], p.get(l[0]));
        System.out.printf("%-28s %,14d%n", "total", info.totalParams());
        System.out.printf("%nroute   parts                                GFLOPs  parameters%n");
        System.out.printf(
                "1 easy  backbone 1 + head 1 + router      %9.1f  %,d%n", info.route1Gflops(), info.route1Params());
        System.out.printf(
                "2 hard  backbones 1, 2 + head 2 + router  %9.1f  %,d%n", info.route2Gflops(), info.route2Params());
        if (artifact != null) {
            System.out.printf(
                    "%nmodel file: %d classes (%s%s), input %d, strides %s%n",
                    artifact.classNames().size(),
                    String.join(
                            ", ",
                            artifact.classNames()
                                    .subList(
                                            0, Math.min(5, artifact.classNames().size()))),
                    artifact.classNames().size() > 5 ? ", ..." : "",
                    artifact.imageSize(),
                    artifact.strides());
            artifact.provenance().forEach((k, v) -> System.out.printf("  %s: %s%n", k, v));
            System.out.println("  calibration: " + (artifact.calibration() == null ? "none" : artifact.calibration()));
        }
        System.out.printf(
                "%nexpected GFLOPs by easy share: 90%% %.1f | 50%% %.1f | 10%% %.1f%n",
                info.mixedGflops(0.9), info.mixedGflops(0.5), info.mixedGflops(0.1));
        return 0;
    }
}
