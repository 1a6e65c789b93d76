package io.dydet.cli;

import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Convert an original PyTorch checkpoint (.pt) or a bare safetensors state dict into a dydet model file.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CKPT", description = "checkpoint (.pt) or safetensors state dict")
    Path input;

    @Option(names = "--model", paramLabel = "NAME", description = "built-in definition (default: recognised from the key names and shapes)")
    String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition in the original cfg format")
    Path cfg;

    @Option(names = "--names", paramLabel = "coco|FILE", description = "class names: coco (built in) or a text file, one per line (default: coco for 80 classes)")
    String names;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL.safetensors", description = "the model file to write")
    Path output;

    @Override
    public Integer call() throws Exception {
        Engines.start(0);
        if (model != null && cfg != null) throw new IllegalArgumentException("give either --model or --cfg, not both");
        if (!Files.exists(input)) throw new IllegalArgumentException(input + " does not exist");
        ModelSpec spec = cfg != null ? ModelSpec.load(cfg) : model != null ? ModelSpec.builtIn(model) : null;
        if (spec == null) {
            spec = ModelFiles.describedSpec(input);
            System.err.println("recognised " + spec.name() + " (" + spec.source() + ", width " + spec.widthMultiple() + ", " + spec.nc() + " classes)");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFiles.Loaded loaded = ModelFiles.open(input, spec, m.newSubManager());
            List<String> classNames = names != null ? ClassNames.resolve(names) : ClassNames.defaults(spec.nc());
            if (classNames.size() != spec.nc())
                throw new IllegalArgumentException(classNames.size() + " class names for a model with " + spec.nc() + " classes");
            ModelArtifact a = loaded.artifact();
            Map<String, String> prov = new LinkedHashMap<>(a.provenance());
            prov.put("imported", java.time.Instant.now().toString());
            prov.put("dydet_version", String.valueOf(Main.class.getPackage().getImplementationVersion()));
            ModelArtifact out = new ModelArtifact(a.modelName(), a.cfgYaml(), classNames, a.imageSize(), a.strides(), a.calibration(), prov);
            ModelFiles.save(output, loaded.model(), out);
            System.out.printf("wrote %s: %s, %d tensors, %d classes%n", output, spec.name(), loaded.model().stateDict().size(), spec.nc());
        }
        return 0;
    }
}
