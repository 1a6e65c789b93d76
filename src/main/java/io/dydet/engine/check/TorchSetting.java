package io.dydet.engine.check;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.dydet.engine.NativeOps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How libtorch runs convolutions on the CPU: through oneDNN with every instruction set this CPU has (the default),
 * through oneDNN capped to an older instruction set (oneDNN's own ONEDNN_MAX_CPU_ISA, read once, at its first use),
 * or without oneDNN (libtorch's own convolution on MKL's matrix products). One setting holds per process: it must be
 * in place before the first convolution runs.
 */
public enum TorchSetting {
    DEFAULT(null),
    AVX512_CORE_BF16("AVX512_CORE_BF16"),
    AVX512_CORE("AVX512_CORE"),
    AVX2("AVX2"),
    SSE41("SSE41"),
    NO_ONEDNN(null);

    /** oneDNN's environment variable for the instruction-set cap (also ONEDNN_ / DNNL_ in older builds). */
    public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    private final String isa;

    TorchSetting(String isa) {
        this.isa = isa;
    }

    /** The value of {@link #ISA_VARIABLE} for this setting, or null when it sets no cap. */
    public String isaCap() {
        return isa;
    }

    /** How users write it: default, avx512_core_bf16, ..., sse41, no_onednn. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TorchSetting parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> names = new ArrayList<>();
            for (TorchSetting t : values()) names.add(t.cliName());
            throw new IllegalArgumentException(
                    "unknown torch setting '" + s + "'; expected one of " + String.join(", ", names));
        }
    }

    /**
     * The settings that mean something on a CPU with these flags, fastest first: the default, then each cap below
     * what the CPU has (a cap at or above its best instruction set changes nothing), then libtorch without oneDNN.
     */
    public static List<TorchSetting> ladder(Set<String> cpuFlags) {
        List<TorchSetting> out = new ArrayList<>();
        out.add(DEFAULT);
        if (cpuFlags.contains("avx512_bf16") && (cpuFlags.contains("amx_tile") || cpuFlags.contains("avx512_fp16")))
            out.add(AVX512_CORE_BF16);
        if (cpuFlags.contains("avx512bw") && (cpuFlags.contains("avx512_vnni") || cpuFlags.contains("avx512_bf16")))
            out.add(AVX512_CORE);
        if (cpuFlags.contains("avx2") && cpuFlags.contains("avx512f")) out.add(AVX2);
        if (cpuFlags.contains("sse4_1") && cpuFlags.contains("avx")) out.add(SSE41);
        out.add(NO_ONEDNN);
        return out;
    }

    /**
     * Puts this setting in place in this process. Call it before the first convolution: oneDNN reads its cap once.
     * The cap goes into the process environment through the C library, where oneDNN reads it (Java's own view of the
     * environment is a copy and does not change).
     */
    public void applyInProcess() {
        if (isa != null) {
            Function setenv = NativeLibrary.getInstance("c").getFunction("setenv");
            int rc = setenv.invokeInt(new Object[] {ISA_VARIABLE, isa, 1});
            if (rc != 0) throw new IllegalStateException("setenv(" + ISA_VARIABLE + ") failed");
        }
        if (this == NO_ONEDNN) setOneDnnEnabled(false);
    }

    /** at::globalContext().setUserEnabledMkldnn(enabled), the switch behind torch.backends.mkldnn.enabled. */
    private static void setOneDnnEnabled(boolean enabled) {
        Path lib = NativeOps.libtorchPath();
        if (lib == null) throw new IllegalStateException("libtorch_cpu.so is not loaded: start the engine first");
        NativeLibrary torch = NativeLibrary.getInstance(lib.toString());
        Pointer context = torch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        torch.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb")
                .invokeVoid(new Object[] {context, (byte) (enabled ? 1 : 0)});
    }
}
