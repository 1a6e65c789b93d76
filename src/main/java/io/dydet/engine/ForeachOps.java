package io.dydet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.List;

/**
 * libtorch's multi-tensor kernels for optimiser and EMA updates, which DJL does not expose: one call updates every
 * parameter of a group instead of eight JNI calls and four temporaries per tensor (a third of a width-1.0 step-1 step
 * at 320 px went to the optimiser and EMA). Called in the loaded libtorch through JNA, as {@link NativeOps}; callers
 * keep their per-tensor path for when the symbols are missing or the arrays are not PyTorch ones.
 *
 * <p>A tensor list is passed as libtorch's {@code ArrayRef<Tensor>}: a pointer to consecutive {@code at::Tensor}s
 * (each one {@code TensorImpl*}) and a length. The list here copies those pointers without touching their reference
 * counts; the callee only borrows them, and the arrays stay open for the call.
 */
public final class ForeachOps {
    /**
     * at::_ops::_fused_sgd_::call(TensorList self, TensorList grads, TensorList momentum_buffers, double weight_decay,
     * double momentum, double lr, double dampening, bool nesterov, bool maximize, bool is_first_step,
     * const optional<Tensor>& grad_scale, const optional<Tensor>& found_inf).
     */
    private static final String FUSED_SGD =
            "_ZN2at4_ops11_fused_sgd_4callEN3c108ArrayRefINS_6TensorEEES5_S5_ddddbbbRKSt8optionalIS4_ES9_";
    /** at::_ops::_foreach_lerp__List::call(TensorList self, TensorList tensors1, TensorList weights). */
    private static final String LERP = "_ZN2at4_ops19_foreach_lerp__List4callEN3c108ArrayRefINS_6TensorEEES5_S5_";
    /** An empty std::optional<at::Tensor> (16 bytes: the tensor, then the engaged flag, all zero). */
    private static final Memory NULLOPT = zeroed(16);

    private ForeachOps() {}

    private static final class Symbols {
        static final Function SGD = NativeOps.libtorchFunction(FUSED_SGD);
        static final Function LERP_ = NativeOps.libtorchFunction(LERP);
    }

    /** Whether {@link #fusedSgd} can run on these arrays (PyTorch arrays, the operator in the loaded libtorch). */
    public static boolean fusedSgdAvailable(List<NDArray> arrays) {
        return NativeOps.enabled() && Symbols.SGD != null && allPyTorch(arrays);
    }

    /** Whether {@link #lerpInPlace} can run on these arrays. */
    public static boolean lerpAvailable(List<NDArray> arrays) {
        return NativeOps.enabled() && Symbols.LERP_ != null && allPyTorch(arrays);
    }

    /**
     * torch.optim.SGD's update (dampening 0, not maximising) of every parameter in place, as its fused form: for each
     * {@code d = grad + weightDecay * param}; with momentum, {@code buf = d} on the first step (buffers given, any
     * values) else {@code buf = momentum * buf + d}, then {@code d = d + momentum * buf} (Nesterov) or {@code d = buf};
     * {@code param -= lr * d}. Without momentum {@code buffers} is empty.
     */
    public static void fusedSgd(
            List<NDArray> params,
            List<NDArray> grads,
            List<NDArray> buffers,
            double weightDecay,
            double momentum,
            double lr,
            boolean nesterov,
            boolean firstStep) {
        if (params.size() != grads.size() || (momentum != 0 && buffers.size() != params.size()))
            throw new IllegalArgumentException("parameters, gradients and momentum buffers differ in number");
        if (params.isEmpty()) return;
        Memory p = list(params), g = list(grads), b = buffers.isEmpty() ? null : list(buffers);
        Symbols.SGD.invokeVoid(new Object[] {
            p,
            (long) params.size(),
            g,
            (long) grads.size(),
            b,
            (long) buffers.size(),
            weightDecay,
            momentum,
            lr,
            0.0,
            nesterov,
            false,
            firstStep,
            NULLOPT,
            NULLOPT
        });
    }

    /** {@code self[i] += weight * (end[i] - self[i])} for every i, in place; {@code weight} is a 0-d float32 array. */
    public static void lerpInPlace(List<NDArray> self, List<NDArray> end, NDArray weight) {
        if (self.size() != end.size()) throw new IllegalArgumentException("lists differ in length");
        if (self.isEmpty()) return;
        Memory s = list(self), e = list(end), w = list(java.util.Collections.nCopies(self.size(), weight));
        Symbols.LERP_.invokeVoid(new Object[] {s, (long) self.size(), e, (long) end.size(), w, (long) self.size()});
    }

    private static boolean allPyTorch(List<NDArray> arrays) {
        for (NDArray a : arrays) if (!(a instanceof PtNDArray)) return false;
        return true;
    }

    /** The arrays' at::Tensor values (TensorImpl pointers) side by side, as an ArrayRef's data. */
    private static Memory list(List<NDArray> arrays) {
        Memory m = new Memory(8L * arrays.size());
        for (int i = 0; i < arrays.size(); i++) {
            long handle = ((PtNDArray) arrays.get(i)).getHandle();
            m.setPointer(8L * i, new Pointer(handle).getPointer(0));
        }
        return m;
    }

    private static Memory zeroed(long bytes) {
        Memory m = new Memory(bytes);
        m.clear();
        return m;
    }
}
