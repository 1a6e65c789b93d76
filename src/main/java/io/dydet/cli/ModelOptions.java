package io.dydet.cli;

import io.dydet.model.ModelSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a command names its model: a built-in definition, a cfg file, and/or a weights file. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "NAME", description = "built-in definition: dy-yolov7, dy-yolov7x, dy-yolov7-w6 (add -step1 for the form without router)")
    String model;

    @Option(names = "--cfg", paramLabel = "FILE", description = "model definition in the original cfg YAML format")
    Path cfg;

    @Option(names = "--weights", paramLabel = "FILE", description = "weights (.safetensors with the original state-dict names)")
    Path weights;

    @Option(names = "--width", paramLabel = "W", description = "width multiple for a built-in definition (also scales CBLinear and router widths)")
    Double width;

    @Option(names = "--nc", paramLabel = "N", description = "number of classes (overrides the definition's nc)")
    Integer classes;

    /** The definition, or null when only weights were given (the weights file must then describe its model). */
    ModelSpec spec() {
        if (model != null && cfg != null) throw new IllegalArgumentException("give either --model or --cfg, not both");
        ModelSpec spec = null;
        if (cfg != null) spec = ModelSpec.load(cfg);
        else if (model != null) spec = ModelSpec.builtIn(model);
        if (spec == null) {
            if (weights == null) throw new IllegalArgumentException("name a model with --model NAME, --cfg FILE or --weights FILE");
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

    /** Default image size: 1280 for models with a stride-64 level (W6), else 640. */
    static int defaultImageSize(io.dydet.model.Network net) {
        return net.maxStride() >= 64 ? 1280 : 640;
    }
}
