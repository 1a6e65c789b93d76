package io.dydet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch operators that DJL does not expose, called directly in the already loaded libtorch (via JNA, which DJL
 * ships). Only in-place SiLU for now: one kernel instead of DJL's sigmoid-then-multiply (two kernels, one
 * temporary), which was a large share of inference time in the high-resolution layers. Every caller falls
 * back to plain DJL ops when the symbol is not there (another libtorch build) or the array is not a PyTorch one.
 */
public final class NativeOps {
    private static final Logger LOG = LoggerFactory.getLogger(NativeOps.class);
    /** at::_ops::silu_::call(at::Tensor&); DJL's array handle is a pointer to its at::Tensor. */
    private static final String SILU_INPLACE = "_ZN2at4_ops5silu_4callERNS_6TensorE";
    private static volatile Function siluInPlace;
    private static volatile boolean looked;

    private NativeOps() {}

    private static Function silu() {
        if (!looked) {
            synchronized (NativeOps.class) {
                if (!looked) {
                    siluInPlace = find(SILU_INPLACE);
                    looked = true;
                }
            }
        }
        return siluInPlace;
    }

    private static Function find(String symbol) {
        if (Boolean.getBoolean("dydet.noNativeOps")) return null;
        try {
            Path maps = Path.of("/proc/self/maps");
            if (!Files.isReadable(maps)) return null;
            String lib = null;
            for (String line : Files.readAllLines(maps)) {
                int i = line.indexOf('/');
                if (i >= 0 && line.endsWith("libtorch_cpu.so")) {
                    lib = line.substring(i);
                    break;
                }
            }
            if (lib == null) return null;
            return NativeLibrary.getInstance(lib).getFunction(symbol);
        } catch (Throwable t) { // UnsatisfiedLinkError for a missing symbol, IO errors: use the fallback
            LOG.debug("native {} unavailable: {}", symbol, t.toString());
            return null;
        }
    }

    /**
     * Applies SiLU in place when the native operator is available; returns false (and leaves x untouched) otherwise.
     * Not for tensors that autograd tracks.
     */
    public static boolean siluInPlace(NDArray x) {
        Function f = silu();
        if (f == null || !(x instanceof PtNDArray p)) return false;
        f.invokePointer(new Object[] {new Pointer(p.getHandle())});
        return true;
    }
}
