package io.dydet.engine;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * libtorch's own operator profiler (the one torch.autograd.profiler uses), which DJL does not expose: while open it
 * records every operator this thread runs, autograd's backward included, and on close writes them as a Chrome trace
 * (JSON: one event per operator call with its start and duration in microseconds). Called in the loaded libtorch
 * through JNA, as {@link NativeOps}. One profiler at a time per process.
 */
public final class OperatorProfiler implements AutoCloseable {
    /** torch::autograd::profiler::RecordProfile::RecordProfile(const std::string&) */
    private static final String OPEN =
            "_ZN5torch8autograd8profiler13RecordProfileC1ERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE";
    /** torch::autograd::profiler::RecordProfile::~RecordProfile() */
    private static final String CLOSE = "_ZN5torch8autograd8profiler13RecordProfileD1Ev";
    /** Room for a RecordProfile (a unique_ptr and a reference in libtorch 2.7), with margin. */
    private static final long OBJECT_BYTES = 256;

    private final Memory object = new Memory(OBJECT_BYTES);
    private final Memory path;
    private final Memory string = new Memory(32);
    private final Function close;
    private boolean closed;

    private OperatorProfiler(Path trace, Function open, Function close) {
        byte[] name = trace.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        path = new Memory(name.length + 1L);
        path.write(0, name, 0, name.length);
        path.setByte(name.length, (byte) 0);
        // a libstdc++ std::string: data pointer, length, capacity (heap form: the data is ours, never freed by it)
        string.setPointer(0, path);
        string.setLong(8, name.length);
        string.setLong(16, name.length);
        string.setLong(24, 0);
        object.clear();
        this.close = close;
        open.invokeVoid(new Object[] {object, string});
    }

    /**
     * Starts recording into {@code trace}, written when closed.
     *
     * @throws UnsupportedOperationException when the loaded libtorch lacks the profiler's symbols
     */
    public static OperatorProfiler start(Path trace) {
        Function open = NativeOps.libtorchFunction(OPEN), close = NativeOps.libtorchFunction(CLOSE);
        if (open == null || close == null)
            throw new UnsupportedOperationException("the loaded libtorch has no RecordProfile (" + OPEN + ")");
        return new OperatorProfiler(trace, open, close);
    }

    /** Stops recording and writes the trace. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        close.invokeVoid(new Object[] {object});
    }
}
