package io.dydet.cli;

import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description =
                "Convert an original PyTorch checkpoint (.pt) or a bare safetensors state dict into a dydet model file.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CKPT", description = "checkpoint (.pt) or safetensors state dict")
    Path input;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            description = "built-in definition (default: recognised from the key names and shapes)")
    String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition in the original cfg format")
    Path cfg;

    @Option(
            names = "--names",
            paramLabel = "coco|FILE",
            description = "class names: coco (built in) or a text file, one per line (default: coco for 80 classes)")
    String names;

    @Spec
    CommandSpec command;

    // not required = true: the hidden --output may name it instead
    @Option(
            names = {"-o", "--out"},
            paramLabel = "MODEL.safetensors",
            description = "the model file to write")
    Path output;

    // the old spelling of --out
    @Option(names = "--output", hidden = true, paramLabel = "MODEL.safetensors")
    void output(Path p) {
        output = p;
    }

    @Override
    public Integer call() throws Exception {
        if (output == null)
            throw new ParameterException(command.commandLine(), "Missing required option: '--out=MODEL.safetensors'");
        Engines.start(0);
        if (model != null && cfg != null) throw new IllegalArgumentException("give either --model or --cfg, not both");
        if (!Files.exists(input)) throw new IllegalArgumentException(input + " does not exist");
        ModelSpec spec = cfg != null ? ModelSpec.load(cfg) : model != null ? ModelSpec.builtIn(model) : null;
        if (spec == null) {
            spec = ModelFiles.describedSpec(input);
            System.err.println("recognised " + spec.name() + " (" + spec.source() + ", width " + spec.widthMultiple()
                    + ", " + spec.nc() + " classes)");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ModelFiles.Loaded loaded = ModelFiles.open(input, spec, m.newSubManager());
            List<String> classNames = names != null ? ClassNames.resolve(names) : ClassNames.defaults(spec.nc());
            if (classNames.size() != spec.nc())
                throw new IllegalArgumentException(
                        classNames.size() + " class names for a model with " + spec.nc() + " classes");
            ModelArtifact a = loaded.artifact();
            Map<String, String> prov = new LinkedHashMap<>(a.provenance());
            prov.put("imported", Instant.now().toString());
            prov.put("dydet_version", String.valueOf(Main.class.getPackage().getImplementationVersion()));
            ModelArtifact out = new ModelArtifact(
                    a.modelName(), a.cfgYaml(), classNames, a.imageSize(), a.strides(), a.calibration(), prov);
            ModelFiles.save(output, loaded.model(), out);
            System.out.printf(
                    "wrote %s: %s, %d tensors, %d classes%n",
                    output, spec.name(), loaded.model().stateDict().size(), spec.nc());
        }
        return 0;
    }
}
