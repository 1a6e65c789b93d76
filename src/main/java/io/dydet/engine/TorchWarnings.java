package io.dydet.engine;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's own messages off the terminal and puts its warnings into this logger (SLF4J, level INFO).
 *
 * <p>libtorch's warnings (c10's TORCH_WARN, e.g. "AutoNonVariableTypeMode is deprecated", which DJL's
 * {@code NDArray.set(Buffer)} raises once per process) go to c10's process-wide base warning handler, which writes them
 * to stderr. Its virtual {@code process} is pointed here, so they come out as log lines. c10's other log lines (LOG(WARNING)
 * and below) are held back: only ERROR and FATAL reach stderr. {@code TORCH_CPP_LOG_LEVEL}, when set, chooses that
 * threshold as it does in Python torch (libtorch reads it only when asked to, which DJL never does).
 *
 * <p>Switch: {@code -Ddydet.torchWarnings=stderr} or {@code DYDET_TORCH_WARNINGS=stderr} leaves libtorch printing as it
 * does by itself; the default is {@code log}. Where the handler cannot be redirected (a libtorch other than the Linux,
 * libstdc++ build dydet ships), the warnings are held back with the rest; this logger says so at DEBUG.
 */
final class TorchWarnings {
    private static final Logger LOG = LoggerFactory.getLogger(TorchWarnings.class);
    /** c10's log levels: INFO 0, WARNING 1, ERROR 2, FATAL 3. */
    private static final int C10_ERROR = 2;
    /** Itanium C++ ABI: a vtable's entries start after offset-to-top and the type info; process is the third entry. */
    private static final int VTABLE_HEADER = 16;

    private static final int PROCESS_SLOT = 2;
    private static final int VTABLE_BYTES = VTABLE_HEADER + (PROCESS_SLOT + 1) * 8;

    /** Held for the life of the process: libtorch calls them from any thread until it exits. */
    private static Process callback;

    private static Memory vtable;
    private static Function message;
    private static Function location;

    private TorchWarnings() {}

    /** c10::WarningHandler::process(const c10::Warning&), as it is called through the handler's vtable. */
    public interface Process extends Callback {
        void invoke(Pointer handler, Pointer warning);
    }

    /** The switch: {@code log} (default) or {@code stderr}. */
    static String mode() {
        String v = System.getProperty("dydet.torchWarnings", System.getenv("DYDET_TORCH_WARNINGS"));
        return v == null || v.isBlank() ? "log" : v.trim().toLowerCase(Locale.ROOT);
    }

    /** Puts this in place; call once, after libtorch is loaded and before it runs anything. */
    static synchronized void install() {
        Path lib = NativeOps.loadedLibrary("libc10.so");
        if (lib == null) {
            LOG.debug("libc10.so not found among the loaded libraries: libtorch's messages stay as they are");
            return;
        }
        NativeLibrary c10 = NativeLibrary.getInstance(lib.toString());
        boolean userLevel = System.getenv("TORCH_CPP_LOG_LEVEL") != null;
        try {
            if (userLevel) c10.getFunction("_ZN3c1011initLoggingEv").invokeVoid(new Object[0]);
            if (mode().equals("stderr")) return;
            if (!userLevel)
                c10.getGlobalVariableAddress("FLAGS_caffe2_log_level").setInt(0, C10_ERROR);
        } catch (UnsatisfiedLinkError e) {
            LOG.debug("c10's log level cannot be set here: {}", e.toString());
        }
        String why = redirect(c10);
        if (why != null) LOG.debug("libtorch's warnings cannot be logged here ({}): they are held back", why);
    }

    /** Points the base handler's process at {@link #log}; returns why not, or null when done. */
    private static String redirect(NativeLibrary c10) {
        Pointer handler, expected;
        long process;
        try {
            // c10::Warning::msg returns the libstdc++ (cxx11) std::string read below; the tag in the name says which
            message = c10.getFunction("_ZNK3c107Warning3msgB5cxx11Ev");
            location = c10.getFunction("_ZNK3c107Warning15source_locationEv");
            handler = c10.getFunction("_ZN3c1012WarningUtils19get_warning_handlerEv")
                    .invokePointer(new Object[0]);
            expected =
                    c10.getGlobalVariableAddress("_ZTVN3c1014WarningHandlerE").share(VTABLE_HEADER);
            process = Pointer.nativeValue(c10.getFunction("_ZN3c1014WarningHandler7processERKNS_7WarningE"));
        } catch (UnsatisfiedLinkError e) {
            return e.getMessage();
        }
        // only c10's own base handler, laid out as expected: anything else (another handler set on this thread, another
        // ABI) is left alone
        if (handler == null
                || !expected.equals(handler.getPointer(0))
                || Pointer.nativeValue(expected.getPointer(PROCESS_SLOT * 8L)) != process) {
            return "the warning handler is not c10's base handler";
        }
        callback = (h, warning) -> log(warning);
        vtable = new Memory(VTABLE_BYTES);
        vtable.write(0, expected.share(-VTABLE_HEADER).getByteArray(0, VTABLE_BYTES), 0, VTABLE_BYTES);
        vtable.setPointer(VTABLE_HEADER + PROCESS_SLOT * 8L, CallbackReference.getFunctionPointer(callback));
        // one aligned pointer store: a warning raised meanwhile goes through the old table or the new one, both whole
        handler.setPointer(0, vtable.share(VTABLE_HEADER));
        return null;
    }

    /** One warning, as c10 would print it (message, then where it was raised). Never throws into libtorch. */
    private static void log(Pointer warning) {
        try {
            Pointer text = message.invokePointer(new Object[] {warning});
            // libstdc++'s std::string: the character pointer, then the length
            long length = text.getLong(8);
            String msg = new String(
                    text.getPointer(0).getByteArray(0, (int) Math.min(length, 1 << 20)), StandardCharsets.UTF_8);
            Pointer where = location.invokePointer(new Object[] {warning});
            Pointer file = where.getPointer(8);
            String name = file == null ? "?" : file.getString(0);
            LOG.info("libtorch: {} ({}:{})", msg, name.substring(name.lastIndexOf('/') + 1), where.getInt(16));
        } catch (Throwable t) {
            LOG.debug("a libtorch warning could not be read: {}", t.toString());
        }
    }
}
