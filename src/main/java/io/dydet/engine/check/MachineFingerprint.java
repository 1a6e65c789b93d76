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
@com.fasterxml.jackson.databind.annotation.JsonDeserialize(builder = MachineFingerprint.Builder.class)
@com.fasterxml.jackson.annotation.JsonPropertyOrder({
    "cpuModel",
    "cpuVendor",
    "cpuFamily",
    "cpuModelNumber",
    "cpuStepping",
    "cpus",
    "caches",
    "libtorch",
    "onnxRuntime",
    "isaFromEnvironment",
    "checkVersion",
    "suite",
    "flagsDigest"
})
@com.fasterxml.jackson.annotation.JsonAutoDetect(
        getterVisibility = com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.NONE)
public final class MachineFingerprint {
    private final String cpuModel;
    private final String cpuVendor;
    private final String cpuFamily;
    private final String cpuModelNumber;
    private final String cpuStepping;
    private final int cpus;
    private final String caches;
    private final String libtorch;
    private final String onnxRuntime;
    private final String isaFromEnvironment;
    private final int checkVersion;
    private final String suite;
    private final String flagsDigest;

    private MachineFingerprint(Builder b) {
        this.cpuModel = b.cpuModel;
        this.cpuVendor = b.cpuVendor;
        this.cpuFamily = b.cpuFamily;
        this.cpuModelNumber = b.cpuModelNumber;
        this.cpuStepping = b.cpuStepping;
        this.cpus = b.cpus;
        this.caches = b.caches;
        this.libtorch = b.libtorch;
        this.onnxRuntime = b.onnxRuntime;
        this.isaFromEnvironment = b.isaFromEnvironment;
        this.checkVersion = b.checkVersion;
        this.suite = b.suite;
        this.flagsDigest = b.flagsDigest;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.cpuModel = cpuModel;
        b.cpuVendor = cpuVendor;
        b.cpuFamily = cpuFamily;
        b.cpuModelNumber = cpuModelNumber;
        b.cpuStepping = cpuStepping;
        b.cpus = cpus;
        b.caches = caches;
        b.libtorch = libtorch;
        b.onnxRuntime = onnxRuntime;
        b.isaFromEnvironment = isaFromEnvironment;
        b.checkVersion = checkVersion;
        b.suite = suite;
        b.flagsDigest = flagsDigest;
        return b;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String cpuModel() {
        return cpuModel;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String cpuVendor() {
        return cpuVendor;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String cpuFamily() {
        return cpuFamily;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String cpuModelNumber() {
        return cpuModelNumber;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String cpuStepping() {
        return cpuStepping;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public int cpus() {
        return cpus;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String caches() {
        return caches;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String libtorch() {
        return libtorch;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String onnxRuntime() {
        return onnxRuntime;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String isaFromEnvironment() {
        return isaFromEnvironment;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public int checkVersion() {
        return checkVersion;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String suite() {
        return suite;
    }

    @com.fasterxml.jackson.annotation.JsonProperty
    public String flagsDigest() {
        return flagsDigest;
    }

    /** Bump when the check's meaning changes (modes, tolerances, reference). */
    public static final int CHECK_VERSION = 2;

    /** This machine, with libtorch already loaded. */
    public static MachineFingerprint current(String suiteText) {
        CpuInfo cpu = CpuInfo.read();
        return MachineFingerprint.builder()
                .cpuModel(cpu.model)
                .cpuVendor(cpu.vendor)
                .cpuFamily(cpu.family)
                .cpuModelNumber(cpu.modelNumber)
                .cpuStepping(cpu.stepping)
                .cpus(Runtime.getRuntime().availableProcessors())
                .caches(readCaches())
                .libtorch(loadedLibtorch())
                .onnxRuntime(jarOf("ai.onnxruntime.OrtEnvironment"))
                .isaFromEnvironment(System.getenv(TorchSetting.ISA_VARIABLE))
                .checkVersion(CHECK_VERSION)
                .suite(digest(suiteText))
                .flagsDigest(digest(String.join(" ", cpu.flags)))
                .build();
    }

    /** The CPU flags of this machine (from /proc/cpuinfo; empty where there is none). */
    public static Set<String> cpuFlags() {
        return CpuInfo.read().flags;
    }

    /** This machine's CPU model name (from /proc/cpuinfo; "unknown" where there is none). */
    public static String cpuModelName() {
        return CpuInfo.read().model;
    }

    /** A short key for file names. */
    public String key() {
        return digest(toString()).substring(0, 16);
    }

    private record CpuInfo(
            String model, String vendor, String family, String modelNumber, String stepping, Set<String> flags) {
        static CpuInfo read() {
            String model = "unknown", vendor = "unknown", family = "?", number = "?", stepping = "?";
            Set<String> flags = new TreeSet<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) continue;
                    String key = line.substring(0, colon).strip(),
                            value = line.substring(colon + 1).strip();
                    switch (key) {
                        case "model name" -> model = value;
                        case "vendor_id" -> vendor = value;
                        case "cpu family" -> family = value;
                        case "model" -> number = value;
                        case "stepping" -> stepping = value;
                        case "flags" -> {
                            if (flags.isEmpty()) for (String f : value.split("\\s+")) flags.add(f);
                        }
                        default -> {}
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
        return lib == null
                ? "libtorch not loaded"
                : lib.getParent().getFileName().toString();
    }

    /** The jar a class comes from (its file name carries the version), without loading native code. */
    static String jarOf(String className) {
        try {
            Class<?> c = Class.forName(className, false, MachineFingerprint.class.getClassLoader());
            CodeSource cs = c.getProtectionDomain().getCodeSource();
            return cs == null
                    ? "unknown"
                    : Path.of(cs.getLocation().toURI()).getFileName().toString();
        } catch (ReflectiveOperationException | URISyntaxException | RuntimeException e) {
            return "not found";
        }
    }

    static String digest(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof MachineFingerprint x)) return false;
        return java.util.Objects.equals(cpuModel, x.cpuModel)
                && java.util.Objects.equals(cpuVendor, x.cpuVendor)
                && java.util.Objects.equals(cpuFamily, x.cpuFamily)
                && java.util.Objects.equals(cpuModelNumber, x.cpuModelNumber)
                && java.util.Objects.equals(cpuStepping, x.cpuStepping)
                && cpus == x.cpus
                && java.util.Objects.equals(caches, x.caches)
                && java.util.Objects.equals(libtorch, x.libtorch)
                && java.util.Objects.equals(onnxRuntime, x.onnxRuntime)
                && java.util.Objects.equals(isaFromEnvironment, x.isaFromEnvironment)
                && checkVersion == x.checkVersion
                && java.util.Objects.equals(suite, x.suite)
                && java.util.Objects.equals(flagsDigest, x.flagsDigest);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                cpuModel,
                cpuVendor,
                cpuFamily,
                cpuModelNumber,
                cpuStepping,
                cpus,
                caches,
                libtorch,
                onnxRuntime,
                isaFromEnvironment,
                checkVersion,
                suite,
                flagsDigest);
    }

    /** As a record's: {@code MachineFingerprint[a=1, b=2]}. */
    @Override
    public String toString() {
        return "MachineFingerprint[cpuModel=" + cpuModel + ", cpuVendor=" + cpuVendor + ", cpuFamily=" + cpuFamily
                + ", cpuModelNumber=" + cpuModelNumber + ", cpuStepping=" + cpuStepping + ", cpus=" + cpus + ", caches="
                + caches + ", libtorch=" + libtorch + ", onnxRuntime=" + onnxRuntime + ", isaFromEnvironment="
                + isaFromEnvironment + ", checkVersion=" + checkVersion + ", suite=" + suite + ", flagsDigest="
                + flagsDigest + "]";
    }

    @com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder(withPrefix = "")
    public static final class Builder {
        private String cpuModel;
        private String cpuVendor;
        private String cpuFamily;
        private String cpuModelNumber;
        private String cpuStepping;
        private int cpus;
        private String caches;
        private String libtorch;
        private String onnxRuntime;
        private String isaFromEnvironment;
        private int checkVersion;
        private String suite;
        private String flagsDigest;

        Builder() {}

        public Builder cpuModel(String v) {
            cpuModel = v;
            return this;
        }

        public Builder cpuVendor(String v) {
            cpuVendor = v;
            return this;
        }

        public Builder cpuFamily(String v) {
            cpuFamily = v;
            return this;
        }

        public Builder cpuModelNumber(String v) {
            cpuModelNumber = v;
            return this;
        }

        public Builder cpuStepping(String v) {
            cpuStepping = v;
            return this;
        }

        public Builder cpus(int v) {
            cpus = v;
            return this;
        }

        public Builder caches(String v) {
            caches = v;
            return this;
        }

        public Builder libtorch(String v) {
            libtorch = v;
            return this;
        }

        public Builder onnxRuntime(String v) {
            onnxRuntime = v;
            return this;
        }

        public Builder isaFromEnvironment(String v) {
            isaFromEnvironment = v;
            return this;
        }

        public Builder checkVersion(int v) {
            checkVersion = v;
            return this;
        }

        public Builder suite(String v) {
            suite = v;
            return this;
        }

        public Builder flagsDigest(String v) {
            flagsDigest = v;
            return this;
        }

        public MachineFingerprint build() {
            return new MachineFingerprint(this);
        }
    }
}
