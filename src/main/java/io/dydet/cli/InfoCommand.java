package io.dydet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelInfo;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Parameters per part and GFLOPs per route (2 x conv MACs of the fused model, router included).")
final class InfoCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--img", paramLabel = "N", description = "square input size (default 640; 1280 for W6 models)")
    Integer img;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelSpec spec = modelOptions.spec();
        if (spec == null) spec = ModelFiles.describedSpec(modelOptions.weights);
        Network net = Network.build(spec);
        if (modelOptions.weights != null) ModelFiles.checkFits(modelOptions.weights, net);
        int size = img != null ? img : ModelOptions.defaultImageSize(net);
        if (size <= 0 || size % net.maxStride() != 0)
            throw new IllegalArgumentException("--img " + size + " must be a positive multiple of the model's largest stride " + net.maxStride());
        ModelInfo info = ModelInfo.of(net, size);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info.toJson()));
            return 0;
        }
        System.out.printf("model %s (%s), input %dx%d, %d classes, %s%n", info.model(), spec.source(), size, size, spec.nc(),
                net.isDynamic() ? "dynamic (router)" : "step-1 form (no router)");
        System.out.printf("%-28s %14s%n", "part", "parameters");
        String[][] labels = {{"b1", "backbone 1"}, {"b2", "backbone 2 (incl. CBLinear)"}, {"head1", "head 1"}, {"head2", "head 2"}, {"router", "router"}};
        Map<String, Long> p = info.params();
        for (String[] l : labels) System.out.printf("%-28s %,14d%n", l[1], p.get(l[0]));
        System.out.printf("%-28s %,14d%n", "total", info.totalParams());
        System.out.printf("%nroute   parts                                GFLOPs  parameters%n");
        System.out.printf("1 easy  backbone 1 + head 1 + router      %9.1f  %,d%n", info.route1Gflops(), info.route1Params());
        System.out.printf("2 hard  backbones 1, 2 + head 2 + router  %9.1f  %,d%n", info.route2Gflops(), info.route2Params());
        System.out.printf("%nexpected GFLOPs by easy share: 90%% %.1f | 50%% %.1f | 10%% %.1f%n",
                info.mixedGflops(0.9), info.mixedGflops(0.5), info.mixedGflops(0.1));
        return 0;
    }
}
