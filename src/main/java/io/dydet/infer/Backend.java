package io.dydet.infer;

import ai.djl.Device;
import io.dydet.engine.Engines;
import io.dydet.engine.check.CheckMode;
import io.dydet.engine.check.EngineReport;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Precision;
import io.dydet.model.RoutedModel;
import io.dydet.onnx.OnnxRuntimeModel;
import java.util.Locale;

/** The engine that runs the network at inference time. */
public enum Backend {
    /** libtorch through DJL (CPU, or CUDA with DJL's CUDA natives). */
    TORCH,
    /** ONNX Runtime on the exported graphs (CPU); routing stays in Java. */
    ONNXRUNTIME,
    /**
     * The faster of the two among those the engine check found right on this machine (see {@link #resolve}); torch on a
     * GPU, for bfloat16, and when the check is off.
     */
    AUTO;

    /** auto, torch or onnxruntime, as the CLI spells them. */
    public static Backend parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "torch", "pytorch", "libtorch" -> TORCH;
            case "onnxruntime", "ort", "onnx" -> ONNXRUNTIME;
            default ->
                throw new IllegalArgumentException("unknown backend '" + name + "'; use auto, torch or onnxruntime");
        };
    }

    /**
     * The backend that runs here (torch or onnxruntime), after the engine started: AUTO picks, by the engine check's
     * measured time on the model family's convolutions, the faster of the backends the check found right; an
     * explicit choice the check found wrong is refused (unless forced, {@code Engines.forced()}).
     *
     * @throws IllegalStateException when the choice computes wrong results on this machine
     */
    public Backend resolve(Precision precision, Device device) {
        EngineReport r = Engines.checkReport();
        boolean bf16 = precision != Precision.FLOAT32;
        CheckMode torchMode = bf16 ? CheckMode.BF16_CHANNELS_LAST : CheckMode.FP32_CHANNELS_LAST;
        String what = "--backend " + cliName() + (bf16 ? " --precision " + precision.cliName() : "");
        if (this == TORCH || device.isGpu()) {
            // the check proves the CPU kernels; GPU kernels are the vendor's
            if (!device.isGpu()) Engines.requireTorchCorrect(torchMode, what);
            return TORCH;
        }
        if (this == ONNXRUNTIME) {
            checkPrecision(precision);
            if (r != null && !r.onnxRuntimeCorrect() && !Engines.forced()) {
                throw new IllegalStateException(
                        what + " is refused: on this machine ONNX Runtime computes convolutions wrong: " + r.summary()
                                + ". Run dydet doctor for details; --force (DYDET_FORCE=1) runs it anyway");
            }
            return ONNXRUNTIME;
        }
        if (r == null) return TORCH;
        if (bf16) {
            Engines.requireTorchCorrect(torchMode, "--precision " + precision.cliName());
            return TORCH;
        }
        if (r.autoPrefersOnnxRuntime()) return ONNXRUNTIME;
        if (r.torchCorrect(torchMode)) return TORCH;
        if (Engines.forced()) return TORCH;
        throw new IllegalStateException("no backend computes convolutions right on this machine: " + r.summary()
                + ". Run dydet doctor for details; --force (DYDET_FORCE=1) runs torch anyway, with wrong results");
    }

    /**
     * The deploy-form model on this backend: the model itself for torch; for onnxruntime the model exported in
     * memory and opened in ONNX Runtime with the engine's thread count (close it when done).
     */
    public RoutedModel open(DynamicDetModel fused) {
        if (this == AUTO) throw new IllegalStateException("resolve the auto backend first (Backend.resolve)");
        if (this == TORCH) return fused;
        checkPrecision(fused.precision());
        if (!fused.network().isFused())
            throw new IllegalArgumentException("the onnxruntime backend runs the deploy form: fuse the model first");
        if (fused.device().isGpu())
            throw new IllegalArgumentException(
                    "the onnxruntime backend runs on the CPU; use --backend torch for " + fused.device());
        return OnnxRuntimeModel.of(fused, Engines.threads());
    }

    /** Refuses a precision this backend cannot run, before any model is loaded. */
    public void checkPrecision(Precision precision) {
        if (this == ONNXRUNTIME && precision != Precision.FLOAT32) {
            throw new IllegalArgumentException(
                    "the onnxruntime backend runs fp32 only (its CPU provider has no bfloat16 convolutions on x86); "
                            + "use --backend torch for --precision " + precision.cliName());
        }
    }

    public String cliName() {
        return switch (this) {
            case TORCH -> "torch";
            case ONNXRUNTIME -> "onnxruntime";
            case AUTO -> "auto";
        };
    }
}
