package io.dydet.model;

import java.util.Locale;

/**
 * The number format of the deploy-form network's convolutions. bfloat16 halves the memory traffic and, on CPUs with
 * bfloat16 dot-product instructions (AVX512-BF16, AMX) or on GPUs, runs the convolutions about twice as fast; the
 * router and the decoding of the heads' outputs stay in float32 (see {@link DynamicDetModel#fuse(ai.djl.ndarray.NDManager, Precision)}).
 */
public enum Precision {
    FLOAT32("fp32"),
    BFLOAT16("bf16");

    private final String cliName;

    Precision(String cliName) {
        this.cliName = cliName;
    }

    /** fp32 or bf16, as the CLI spells them (float32 and bfloat16 also accepted). */
    public static Precision parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32", "f32" -> FLOAT32;
            case "bf16", "bfloat16" -> BFLOAT16;
            default -> throw new IllegalArgumentException("unknown precision '" + name + "'; use fp32 or bf16");
        };
    }

    public String cliName() {
        return cliName;
    }
}
