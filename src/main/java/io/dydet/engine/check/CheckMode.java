package io.dydet.engine.check;

import java.util.Locale;

/** What the engine check runs each convolution shape through. */
public enum CheckMode {
    /** torch, float32, NCHW, forward: the layout of training and of GPUs. */
    FP32("torch fp32 forward"),
    /** torch, float32, channels-last, forward: CPU inference (the deploy form). */
    FP32_CHANNELS_LAST("torch fp32 forward, channels-last"),
    /** torch, bfloat16, channels-last, forward: CPU inference with --precision bf16. */
    BF16_CHANNELS_LAST("torch bf16 forward, channels-last"),
    /** torch, float32, NCHW, forward and backward: training. */
    TRAINING("torch fp32 forward + backward"),
    /** torch, bfloat16, channels-last, forward and backward: training with --precision bf16. */
    BF16_TRAINING("torch bf16 forward + backward, channels-last"),
    /** ONNX Runtime's CPU provider, float32, forward: the onnxruntime backend (not affected by oneDNN settings). */
    ONNXRUNTIME("onnxruntime fp32 forward");

    private final String description;

    CheckMode(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Allowed error relative to the sum of absolute terms: float32 rounding, or bfloat16 outputs (8 bits). */
    double relTolerance() {
        return bfloat16() ? 1.0 / 128 : 2e-5;
    }

    boolean bfloat16() {
        return this == BF16_CHANNELS_LAST || this == BF16_TRAINING;
    }

    /** Whether the mode runs the backward too (over the suite's training shapes). */
    boolean backward() {
        return this == TRAINING || this == BF16_TRAINING;
    }
}
