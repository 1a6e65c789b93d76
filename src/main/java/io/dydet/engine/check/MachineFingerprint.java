package io.dydet.engine.check;

import io.dydet.engine.NativeOps;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the engine check's verdict depends on: the CPU (model, stepping, flags, core count, the cache sizes it exposes:
 * oneDNN sizes its blocking from them), the engine builds (libtorch with its oneDNN, ONNX Runtime), an instruction-set
 * cap already in the environment, and the check itself (its version and suite). Equal fingerprints share one cached
 * verdict.
 */
public record MachineFingerprint(String cpuModel, String cpuVendor, String cpuFamily, String cpuModelNumber, String cpuStepping,
                                 int cpus, String caches, String libtorch, String onnxRuntime, String isaFromEnvironment, int checkVersion,
                                 String suite, String flagsDigest) {
    /** Bump when the check's meaning changes (modes, tolerances, reference). */
    public static final int CHECK_VERSION = 2;

    /** This machine, with libtorch already loaded. */
    public static MachineFingerprint current(String suiteText) {
        CpuInfo cpu = CpuInfo.read();
        return new MachineFingerprint(cpu.model, cpu.vendor, cpu.family, cpu.modelNumber, cpu.stepping, Runtime.getRuntime().availableProcessors(),
                readCaches(), loadedLibtorch(), jarOf("ai.onnxruntime.OrtEnvironment"), System.getenv(TorchSetting.ISA_VARIABLE), CHECK_VERSION,
                digest(suiteText), digest(String.join(" ", cpu.flags)));
    }

    /** The CPU flags of this machine (from /proc/cpuinfo; empty where there is none). */
    public static Set<String> cpuFlags() {
        return CpuInfo.read().flags;
    }

    /** A short key for file names. */
    public String key() {
        return digest(toString()).substring(0, 16);
    }

    private record CpuInfo(String model, String vendor, String family, String modelNumber, String stepping, Set<String> flags) {
        static CpuInfo read() {
            String model = "unknown", vendor = "unknown", family = "?", number = "?", stepping = "?";
            Set<String> flags = new TreeSet<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) continue;
                    String key = line.substring(0, colon).strip(), value = line.substring(colon + 1).strip();
                    switch (key) {
                        case "model name" -> model = value;
                        case "vendor_id" -> vendor = value;
                        case "cpu family" -> family = value;
                        case "model" -> number = value;
                        case "stepping" -> stepping = value;
                        case "flags" -> {
                            if (flags.isEmpty()) for (String f : value.split("\\s+")) flags.add(f);
                        }
                        default -> { }
                    }
                    if (line.isBlank() && !flags.isEmpty()) break;
                }
            } catch (IOException e) {
                // no /proc (another OS): the fingerprint says unknown and the check runs as everywhere
            }
            return new CpuInfo(model, vendor, family, number, stepping, flags);
        }
    }

    /** The cache levels the kernel exposes for CPU 0 ("L1d 48K, L2 2048K, ..."), or "none exposed". */
    static String readCaches() {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Path index = dir.resolve("index" + i);
            if (!Files.isDirectory(index)) break;
            try {
                String level = Files.readString(index.resolve("level")).strip();
                String type = Files.readString(index.resolve("type")).strip();
                String size = Files.readString(index.resolve("size")).strip();
                out.add("L" + level + (type.equals("Data") ? "d" : type.equals("Instruction") ? "i" : "") + " " + size);
            } catch (IOException e) {
                out.add("index" + i + " unreadable");
            }
        }
        return out.isEmpty() ? "none exposed" : String.join(", ", out);
    }

    /** The loaded libtorch's folder (its version and build date, e.g. 2.7.1-20250812-cpu-linux-x86_64). */
    static String loadedLibtorch() {
        Path lib = NativeOps.libtorchPath();
        return lib == null ? "libtorch not loaded" : lib.getParent().getFileName().toString();
    }

    /** The jar a class comes from (its file name carries the version), without loading native code. */
    static String jarOf(String className) {
        try {
            Class<?> c = Class.forName(className, false, MachineFingerprint.class.getClassLoader());
            CodeSource cs = c.getProtectionDomain().getCodeSource();
            return cs == null ? "unknown" : Path.of(cs.getLocation().toURI()).getFileName().toString();
        } catch (ReflectiveOperationException | URISyntaxException | RuntimeException e) {
            return "not found";
        }
    }

    static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
