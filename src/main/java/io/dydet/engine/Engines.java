package io.dydet.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.dydet.engine.check.CheckMode;
import io.dydet.engine.check.EngineCheck;
import io.dydet.engine.check.EngineReport;
import io.dydet.engine.check.MachineFingerprint;
import io.dydet.engine.check.TorchSetting;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine offline. Every entry point calls {@link #start(int)} before touching an NDArray,
 * so the natives bundled in the jars are used and no download or telemetry connection is ever attempted.
 */
public final class Engines {
    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);
    private static volatile boolean started;
    private static volatile boolean checked;
    private static volatile EngineReport report;

    private Engines() {}

    /**
     * Starts the engine (idempotent) with {@code threads} intra-op threads; {@code threads <= 0} means all cores.
     * Returns the engine so callers can read its version.
     */
    public static synchronized Engine start(int threads) {
        Engine engine = startUnchecked(threads);
        if (!checked) {
            checked = true;
            applyEngineCheck();
        }
        return engine;
    }

    /**
     * Runs (or reads the cached verdict of) the engine check and puts the chosen torch setting in place before this
     * process runs its first convolution; one warning line when something here is computed wrong.
     */
    private static void applyEngineCheck() {
        String mode = EngineCheck.mode();
        if (mode.equals("off")) {
            LOG.warn(
                    "engine check is off (dydet.engineCheck / DYDET_ENGINE_CHECK): torch runs with its defaults, unverified on this machine");
            return;
        }
        EngineReport r = EngineCheck.verdict(false, mode.equals("refresh"));
        TorchSetting s = r.chosenSetting();
        if (s != null && s != TorchSetting.DEFAULT) s.applyInProcess();
        report = r;
        if (!r.defaultIsCorrect() || !r.onnxRuntimeCorrect())
            LOG.warn("engine check: {} (details: dydet doctor)", r.summary());
    }

    /** The engine check's verdict for this process, or null when the check is off or the engine not started. */
    public static EngineReport checkReport() {
        return report;
    }

    /**
     * Whether the user forces configurations the engine check found wrong (system property {@code dydet.force},
     * environment variable {@code DYDET_FORCE}, the CLI's {@code --force}).
     */
    public static boolean forced() {
        String v = System.getProperty("dydet.force", System.getenv("DYDET_FORCE"));
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    /**
     * Refuses to go on when torch, with the setting this process runs, computes {@code mode} wrong on this machine
     * (unless forced): {@code what} names the work in the message.
     */
    public static void requireTorchCorrect(CheckMode mode, String what) {
        EngineReport r = report;
        if (r == null || r.torchCorrect(mode) || forced()) return;
        throw new IllegalStateException(what + " is refused: on this machine torch computes convolutions wrong ("
                + mode.description() + "): " + r.summary()
                + ". Run dydet doctor for details; --force (DYDET_FORCE=1) runs it anyway, with wrong results");
    }

    /**
     * Refuses bfloat16 work ({@code what} names it) on this machine's CPU when it has no bfloat16 instructions, or when
     * this engine has no bfloat16 operators.
     */
    public static void requireBFloat16(String what) {
        if (!NativeOps.bfloat16Available())
            throw new IllegalStateException(what + " is refused: this engine has no bfloat16 operators"
                    + (NativeOps.enabled() ? "" : " (native operators are switched off)"));
        requireBFloat16Instructions(MachineFingerprint.cpuFlags(), MachineFingerprint.cpuModelName(), what);
    }

    /** Refuses bfloat16 work on a CPU whose flags name no bfloat16 instructions (oneDNN would emulate them slowly). */
    static void requireBFloat16Instructions(Set<String> cpuFlags, String cpuModel, String what) {
        if (!cpuFlags.contains("avx512_bf16") && !cpuFlags.contains("amx_bf16"))
            throw new IllegalStateException(what + " is refused: this CPU (" + cpuModel
                    + ") has no bfloat16 instructions (avx512_bf16 or amx_bf16); use fp32");
    }

    /** Starts the engine without the engine check: for the check's own probe processes. */
    public static synchronized Engine startUnchecked(int threads) {
        if (!started) {
            // must be set before DJL's first class load reads them; harmless when already set on the command line
            System.setProperty("ai.djl.offline", "true");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            Engine engine = Engine.getEngine("PyTorch");
            // before libtorch's first warning: it goes to this log, not the terminal
            TorchWarnings.install();
            JniUtils.setGradMode(false);
            started = true;
            setThreads(threads);
            return engine;
        }
        if (threads > 0) setThreads(threads);
        return Engine.getEngine("PyTorch");
    }

    /** Starts the engine with all cores. */
    public static Engine start() {
        return start(0);
    }

    /** Sets the number of intra-op threads; {@code threads <= 0} means all available cores. */
    public static void setThreads(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        JniUtils.setNumThreads(n);
    }

    public static int threads() {
        return JniUtils.getNumThreads();
    }

    /**
     * Grad mode is thread-local in libtorch: every inference worker thread must switch it off itself,
     * or it records autograd graphs (memory and time) for nothing.
     */
    public static void setGradEnabled(boolean enabled) {
        JniUtils.setGradMode(enabled);
    }

    public static boolean isGradEnabled() {
        return JniUtils.isGradMode();
    }

    /** Seeds libtorch's random generator (initialisation, dropout-free here, augmentation on the engine side). */
    public static void seed(long seed) {
        JniUtils.setSeed(seed);
    }

    /** Back-propagates a scalar (or one-element) loss into the gradients of every tensor that requires one. */
    public static void backward(NDArray loss) {
        try (NDArray ones = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
        }
    }

    /** Zeroes a tensor's accumulated gradient in place (libtorch accumulates across backward passes). */
    public static void zeroGrad(NDArray tensor) {
        JniUtils.zeroGrad((PtNDArray) tensor);
    }
}
