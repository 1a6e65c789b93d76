package io.dydet.cli;

import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How a command names its model: a built-in definition ({@code --model NAME}), a cfg file ({@code --cfg FILE}) and/or
 * a weights file ({@code --weights FILE}). Public so that other modules' commands (spark-detect) use the same options.
 */
public final class ModelOptions {
    @Option(
            names = "--model",
            paramLabel = "NAME",
            description =
                    "built-in definition: dy-yolov7, dy-yolov7x, dy-yolov7-w6 (add -step1 for the form without router)")
    public String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition in the original cfg YAML format")
    public Path cfg;

    // --weight: the original train_step2.py's spelling
    @Option(
            names = {"--weights", "--weight"},
            paramLabel = "FILE",
            description = "weights (.safetensors with the original state-dict names, or a dydet model file)")
    public Path weights;

    @Option(
            names = "--width",
            paramLabel = "W",
            description = "width multiple for a built-in definition (also scales CBLinear and router widths)")
    public Double width;

    @Option(names = "--nc", paramLabel = "N", description = "number of classes (overrides the definition's nc)")
    public Integer classes;

    /** The definition, or null when only weights were given (the weights file must then describe its model). */
    public ModelSpec spec() {
        if (model != null && cfg != null) throw new IllegalArgumentException("give either --model or --cfg, not both");
        ModelSpec spec = null;
        if (cfg != null) spec = ModelSpec.load(cfg);
        else if (model != null) spec = ModelSpec.builtIn(model);
        if (spec == null) {
            if (weights == null)
                throw new IllegalArgumentException("name a model with --model NAME, --cfg FILE or --weights FILE");
            return null;
        }
        if (width != null) {
            if (cfg != null && width != spec.widthMultiple())
                System.err.println("note: --width on a cfg file also scales its CBLinear lists and router channels");
            spec = spec.withWidth(width);
        }
        if (classes != null) spec = spec.withClasses(classes);
        return spec;
    }

    /** The weights file, which the command needs. */
    public Path requireWeights() {
        if (weights == null) throw new IllegalArgumentException("--weights is required");
        return weights;
    }

    /**
     * The image size a command uses when {@code --img} is not given: the one the weights file records (a dydet model
     * file), else the built-in default for the network. So a W6 model is calibrated, validated and benchmarked at the
     * size it runs at.
     */
    public int imageSize(Integer img, Network net) throws IOException {
        if (img != null) return net.checkImageSize(img);
        Integer stored = storedImageSize();
        return net.checkImageSize(stored != null ? stored : defaultImageSize(net));
    }

    /** The image size in the weights file's metadata; null without weights or for files that record none. */
    public Integer storedImageSize() throws IOException {
        if (weights == null || ModelFiles.isCheckpoint(weights)) return null;
        Map<String, String> meta;
        try (SafeTensorsFile f = SafeTensors.open(weights)) {
            meta = f.metadata();
        }
        return ModelArtifact.isModelFile(meta)
                ? ModelArtifact.fromMetadata(meta, weights.toString()).imageSize()
                : null;
    }

    /** Built-in default image size: 1280 for models with a stride-64 level (W6), else 640. */
    public static int defaultImageSize(Network net) {
        return net.maxStride() >= 64 ? 1280 : 640;
    }
}
