package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libtorch's warnings reach the log, not the process's stderr (fd 2, where libtorch writes by itself): checked in a
 * child JVM, whose stderr is the terminal's stand-in, on DJL's own trigger (NDArray.set(Buffer) warns once per process).
 */
class TorchWarningsTest {
    private static final String NATIVE_LINE = "] Warning: AutoNonVariableTypeMode is deprecated";
    private static final String LOG_LINE =
            "INFO io.dydet.engine.TorchWarnings - libtorch: AutoNonVariableTypeMode is deprecated";

    @TempDir
    Path dir;

    /** Starts the engine and makes libtorch warn. */
    public static void main(String[] args) {
        Engines.startUnchecked(1);
        try (NDManager m = NDManager.newBaseManager();
                NDArray a = m.zeros(new Shape(3));
                NDArray b = m.ones(new Shape(3))) {
            a.set(b.toByteBuffer());
            System.out.println("sum " + a.sum().getFloat());
        }
    }

    private String stderrOf(String... properties) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda=error"));
        cmd.addAll(List.of(properties));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TorchWarningsTest.class.getName()));
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().remove("TORCH_CPP_LOG_LEVEL");
        pb.environment().remove("DYDET_TORCH_WARNINGS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String text = Files.readString(err);
        assertEquals(0, p.waitFor(), out + text);
        assertTrue(out.contains("sum 3.0"), out + text);
        return text;
    }

    @Test
    void warningsGoToTheLogNotTheTerminal() throws Exception {
        String shown = stderrOf("-Dorg.slf4j.simpleLogger.log.io.dydet.engine.TorchWarnings=info");
        assertTrue(shown.contains(LOG_LINE), shown);
        assertTrue(shown.contains("(LegacyTypeDispatch.h:"), shown);
        assertFalse(shown.contains(NATIVE_LINE), shown);
        // at the CLI's log level nothing of it is on the terminal
        String quiet = stderrOf();
        assertFalse(quiet.contains("AutoNonVariableTypeMode"), quiet);
    }

    @Test
    void theSwitchGivesLibtorchItsTerminalBack() throws Exception {
        String shown = stderrOf(
                "-Ddydet.torchWarnings=stderr", "-Dorg.slf4j.simpleLogger.log.io.dydet.engine.TorchWarnings=info");
        assertTrue(shown.contains(NATIVE_LINE), shown);
        assertFalse(shown.contains(LOG_LINE), shown);
    }
}
