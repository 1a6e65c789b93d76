package io.dydet.infer;

import java.util.Locale;

/** The engine that runs the network at inference time. */
public enum Backend {
    /** libtorch through DJL (CPU, or CUDA with DJL's CUDA natives). */
    TORCH,
    /** ONNX Runtime on the exported graphs (CPU); routing stays in Java. */
    ONNXRUNTIME;

    /** torch or onnxruntime, as the CLI spells them. */
    public static Backend parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "torch", "pytorch", "libtorch" -> TORCH;
            case "onnxruntime", "ort", "onnx" -> ONNXRUNTIME;
            default -> throw new IllegalArgumentException("unknown backend '" + name + "'; use torch or onnxruntime");
        };
    }

    /**
     * The deploy-form model on this backend: the model itself for torch; for onnxruntime the model exported in
     * memory and opened in ONNX Runtime with the engine's thread count (close it when done).
     */
    public io.dydet.model.RoutedModel open(io.dydet.model.DynamicDetModel fused) {
        if (this == TORCH) return fused;
        checkPrecision(fused.precision());
        if (!fused.network().isFused()) throw new IllegalArgumentException("the onnxruntime backend runs the deploy form: fuse the model first");
        if (fused.device().isGpu()) throw new IllegalArgumentException("the onnxruntime backend runs on the CPU; use --backend torch for " + fused.device());
        return io.dydet.onnx.OnnxRuntimeModel.of(fused, io.dydet.engine.Engines.threads());
    }

    /** Refuses a precision this backend cannot run, before any model is loaded. */
    public void checkPrecision(io.dydet.model.Precision precision) {
        if (this == ONNXRUNTIME && precision != io.dydet.model.Precision.FLOAT32) {
            throw new IllegalArgumentException("the onnxruntime backend runs fp32 only (its CPU provider has no bfloat16 convolutions on x86); "
                    + "use --backend torch for --precision " + precision.cliName());
        }
    }

    public String cliName() {
        return this == TORCH ? "torch" : "onnxruntime";
    }
}
