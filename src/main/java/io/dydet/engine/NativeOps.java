package io.dydet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch operators that DJL does not expose, called directly in the already loaded libtorch (via JNA, which DJL
 * ships). In-place SiLU: one kernel instead of DJL's sigmoid-then-multiply (two kernels, one temporary), which was
 * a large share of inference time in the high-resolution layers; its callers fall back to plain DJL ops when the
 * symbol is not there (another libtorch build) or the array is not a PyTorch one. The cast to bfloat16, which DJL
 * 0.36's JNI cannot express (its dtype table stops before bfloat16, and asking aborts the process).
 */
public final class NativeOps {
    private static final Logger LOG = LoggerFactory.getLogger(NativeOps.class);
    /** at::_ops::silu_::call(at::Tensor&); DJL's array handle is a pointer to its at::Tensor. */
    private static final String SILU_INPLACE = "_ZN2at4_ops5silu_4callERNS_6TensorE";
    /** at::_ops::silu::call(const at::Tensor&): through the dispatcher, so autograd records SiLU's own backward. */
    private static final String SILU_TRACKED_SYMBOL = "_ZN2at4_ops4silu4callERKNS_6TensorE";
    /** at::_ops::to_dtype::call(const at::Tensor&, c10::ScalarType, bool non_blocking, bool copy, std::optional<MemoryFormat>). */
    private static final String TO_DTYPE =
            "_ZN2at4_ops8to_dtype4callERKNS_6TensorEN3c1010ScalarTypeEbbSt8optionalINS5_12MemoryFormatEE";
    /** operator new(size_t): DJL frees an array's handle with delete, so the handle is allocated with new. */
    private static final String OPERATOR_NEW = "_Znwm";
    /** c10::ScalarType::BFloat16. */
    private static final int SCALAR_TYPE_BFLOAT16 = 15;
    /** c10::ScalarType::Float. */
    private static final int SCALAR_TYPE_FLOAT = 6;
    /** sizeof(at::Tensor): one intrusive pointer. */
    private static final long TENSOR_BYTES = 8;

    /**
     * Whether the native operators are used; the system property {@code dydet.noNativeOps} (kept for old scripts)
     * switches them off by default (design.md, Model options).
     */
    private static volatile boolean enabled = !Boolean.getBoolean("dydet.noNativeOps");

    private NativeOps() {}

    /**
     * Switches the native operators on or off for this process (off: plain DJL operators, and no bfloat16). Set it
     * before models are fused or run; a pass already running may see either setting.
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** Whether the native operators are switched on (they may still be missing from the loaded libtorch). */
    public static boolean enabled() {
        return enabled;
    }

    /** The symbols, looked up once, on first use (by then the engine has loaded libtorch). */
    private static final class Symbols {
        static final NativeLibrary TORCH = libtorch();
        static final Function SILU = find(SILU_INPLACE);
        static final Function SILU_TRACKED = find(SILU_TRACKED_SYMBOL);
        static final Function CAST = find(TO_DTYPE);
        static final Function NEW = find(OPERATOR_NEW);

        private static NativeLibrary libtorch() {
            try {
                Path lib = libtorchPath();
                return lib == null ? null : NativeLibrary.getInstance(lib.toString());
            } catch (Throwable t) { // a library JNA cannot open: use the fallbacks
                LOG.debug("libtorch not found for native operators: {}", t.toString());
            }
            return null;
        }

        private static Function find(String symbol) {
            if (TORCH == null) return null;
            try {
                return TORCH.getFunction(symbol);
            } catch (UnsatisfiedLinkError e) { // another libtorch build: use the fallback
                LOG.debug("native {} unavailable: {}", symbol, e.toString());
                return null;
            }
        }
    }

    /**
     * A function of the loaded libtorch by its mangled name, or null when libtorch is not loaded or lacks the symbol
     * (another build): callers then take their fallback path.
     */
    static Function libtorchFunction(String symbol) {
        return Symbols.find(symbol);
    }

    /** The libtorch_cpu.so this process has loaded (DJL extracts it to its cache), or null when none is or there is no /proc. */
    public static Path libtorchPath() {
        return loadedLibrary("libtorch_cpu.so");
    }

    /** A shared library this process has loaded, by file name (e.g. libc10.so), or null when none is or there is no /proc. */
    static Path loadedLibrary(String fileName) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return null;
        try {
            for (String line : Files.readAllLines(maps)) {
                int i = line.indexOf('/');
                if (i >= 0 && line.endsWith("/" + fileName)) return Path.of(line.substring(i));
            }
        } catch (IOException e) {
            LOG.debug("cannot read {}: {}", maps, e.toString());
        }
        return null;
    }

    /** Whether x holds bfloat16 values (DJL 0.36 reports bfloat16 as an unknown data type). */
    public static boolean isBFloat16(NDArray x) {
        return x instanceof PtNDArray && x.getDataType() == DataType.UNKNOWN;
    }

    /** Whether {@link #toBFloat16} works here: a PyTorch engine whose libtorch has the operator. */
    public static boolean bfloat16Available() {
        return enabled && Symbols.CAST != null && Symbols.NEW != null;
    }

    /**
     * A bfloat16 copy of x, same shape, device and memory layout, in x's manager. DJL reports its data type as
     * UNKNOWN; convolution, SiLU, pooling, concatenation, resizing, indexing and {@code toType(FLOAT32)} work on it.
     *
     * @throws UnsupportedOperationException when the loaded engine cannot (see {@link #bfloat16Available()})
     */
    public static NDArray toBFloat16(NDArray x) {
        return cast(x, SCALAR_TYPE_BFLOAT16);
    }

    /**
     * A float32 copy of x (e.g. of a bfloat16 array) whose backward autograd records, unlike DJL's {@code toType},
     * which runs without gradients; same shape, device and layout, in x's manager.
     *
     * @throws UnsupportedOperationException when the loaded engine cannot (see {@link #bfloat16Available()})
     */
    public static NDArray toFloat32(NDArray x) {
        return cast(x, SCALAR_TYPE_FLOAT);
    }

    private static NDArray cast(NDArray x, int scalarType) {
        if (!bfloat16Available() || !(x instanceof PtNDArray p)) {
            throw new UnsupportedOperationException(
                    "bfloat16 needs the PyTorch engine with libtorch's to_dtype operator (" + TO_DTYPE
                            + "), not found in the loaded libtorch"
                            + (enabled ? "" : " (native operators are switched off)"));
        }
        Pointer handle = Symbols.NEW.invokePointer(new Object[] {TENSOR_BYTES});
        // the result at::Tensor is constructed in place at the handle (returned through the hidden result pointer);
        // through the dispatcher, so autograd records the cast when gradients are on
        Symbols.CAST.invokeVoid(
                new Object[] {handle, new Pointer(p.getHandle()), scalarType, (byte) 0, (byte) 0, (short) 0});
        return new PtNDArray((PtNDManager) p.getManager(), Pointer.nativeValue(handle));
    }

    /**
     * SiLU as one libtorch operator whose backward autograd records (one kernel each way instead of sigmoid,
     * multiply and their three backward kernels), in x's manager; null when the operator is unavailable here.
     */
    public static NDArray silu(NDArray x) {
        if (!enabled) return null;
        Function f = Symbols.SILU_TRACKED;
        if (f == null || Symbols.NEW == null || !(x instanceof PtNDArray p)) return null;
        Pointer handle = Symbols.NEW.invokePointer(new Object[] {TENSOR_BYTES});
        f.invokeVoid(new Object[] {handle, new Pointer(p.getHandle())});
        return new PtNDArray((PtNDManager) p.getManager(), Pointer.nativeValue(handle));
    }

    /**
     * Applies SiLU in place when the native operator is available; returns false (and leaves x untouched) otherwise.
     * Not for tensors that autograd tracks.
     */
    public static boolean siluInPlace(NDArray x) {
        if (!enabled) return false;
        Function f = Symbols.SILU;
        if (f == null || !(x instanceof PtNDArray p)) return false;
        f.invokePointer(new Object[] {new Pointer(p.getHandle())});
        return true;
    }
}
