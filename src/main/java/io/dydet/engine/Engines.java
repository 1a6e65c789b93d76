package io.dydet.engine;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Starts DJL's PyTorch engine offline. Every entry point calls {@link #start(int)} before touching an NDArray,
 * so the natives bundled in the jars are used and no download or telemetry connection is ever attempted.
 */
public final class Engines {
    private static volatile boolean started;

    private Engines() {}

    /**
     * Starts the engine (idempotent) with {@code threads} intra-op threads; {@code threads <= 0} means all cores.
     * Returns the engine so callers can read its version.
     */
    public static synchronized Engine start(int threads) {
        if (!started) {
            // must be set before DJL's first class load reads them; harmless when already set on the command line
            System.setProperty("ai.djl.offline", "true");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            Engine engine = Engine.getEngine("PyTorch");
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
    public static void backward(ai.djl.ndarray.NDArray loss) {
        try (ai.djl.ndarray.NDArray ones = loss.onesLike()) {
            JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) loss, (ai.djl.pytorch.engine.PtNDArray) ones, false, false);
        }
    }

    /** Zeroes a tensor's accumulated gradient in place (libtorch accumulates across backward passes). */
    public static void zeroGrad(ai.djl.ndarray.NDArray tensor) {
        JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) tensor);
    }
}
