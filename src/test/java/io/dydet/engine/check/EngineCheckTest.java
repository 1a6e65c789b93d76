package io.dydet.engine.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.engine.Engines;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine check's fallback path, exercised on every machine by fault injection into real probe processes: a
 * setting whose results are wrong, or whose process dies of SIGFPE, is never chosen; the chosen cap is the one in
 * force in a process that starts the engine (oneDNN's own verbose output says so); verdicts are cached.
 */
class EngineCheckTest {
    @TempDir
    Path dir;

    static final String SMALL_SUITE = """
            forward 3 16 3 1 1 48 48
            forward 16 32 3 2 1 48 48
            forward 32 32 1 1 0 24 24
            forward 32 255 1 1 0 12 12
            training 16 32 3 2 1 32 32
            training 32 16 1 1 0 16 16
            """;

    @BeforeEach
    void smallSuiteAndOwnCache() throws Exception {
        Engines.start(0);
        Files.writeString(dir.resolve("suite.txt"), SMALL_SUITE, StandardCharsets.UTF_8);
        System.setProperty("dydet.engineCheck.suite", dir.resolve("suite.txt").toString());
        System.setProperty("dydet.cacheDir", dir.resolve("cache").toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty("dydet.engineCheck.suite");
        System.clearProperty("dydet.cacheDir");
        System.clearProperty("dydet.engineCheck.inject");
    }

    @Test
    void aWrongDefaultIsCaughtByTheComparatorAndNeverChosen() {
        System.setProperty("dydet.engineCheck.inject", "default:wrong");
        EngineReport r = EngineCheck.verdict(false, false);
        ProbeResult d = r.probe(TorchSetting.DEFAULT);
        assertEquals(ModeResult.FAILED, d.mode(CheckMode.FP32).status(), d.toString());
        assertFalse(r.defaultIsCorrect());
        assertNotNull(r.chosenSetting(), r.summary());
        assertNotEquals(TorchSetting.DEFAULT, r.chosenSetting());
        assertTrue(
                r.torchCorrect(CheckMode.FP32)
                        && r.torchCorrect(CheckMode.FP32_CHANNELS_LAST)
                        && r.torchCorrect(CheckMode.TRAINING),
                r.summary());
        assertTrue(r.summary().contains("wrong") && r.summary().contains("torch runs with"), r.summary());
        assertTrue(r.onnxRuntimeCorrect(), r.summary());
        // an injected verdict is never cached
        assertFalse(Files.exists(dir.resolve("cache").resolve("engine-check")));
    }

    @Test
    void aCrashingSettingIsNamedWithItsSignalAndShape() {
        System.setProperty("dydet.engineCheck.inject", "default:crash");
        EngineReport r = EngineCheck.verdict(false, false);
        ModeResult m = r.probe(TorchSetting.DEFAULT).mode(CheckMode.FP32);
        assertEquals(ModeResult.CRASHED, m.status());
        assertTrue(m.failures().get(0).contains("SIGFPE"), m + " " + r);
        assertTrue(m.crashedAt().contains("3->16 k3s1p1 @48x48"), m.crashedAt());
        assertNotEquals(TorchSetting.DEFAULT, r.chosenSetting());
        assertNotNull(r.chosenSetting());
        // ONNX Runtime's check rode along with the next probe
        assertTrue(r.onnxRuntimeCorrect());
    }

    @Test
    void theChosenCapIsInForceInAProcessThatStartsTheEngine() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-Ddydet.engineCheck.inject=default:wrong",
                "-Ddydet.engineCheck.suite=" + dir.resolve("suite.txt"),
                "-Ddydet.cacheDir=" + dir.resolve("cache"),
                "-cp",
                System.getProperty("java.class.path"),
                AppliedSettingMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ONEDNN_VERBOSE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String chosen = out.lines()
                .filter(l -> l.startsWith("chosen-setting "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(out))
                .substring(15);
        TorchSetting s = TorchSetting.parse(chosen);
        assertNotEquals(TorchSetting.DEFAULT, s);
        List<String> convs = out.lines()
                .filter(l -> l.contains(",primitive,exec,cpu,convolution,"))
                .toList();
        if (s == TorchSetting.NO_ONEDNN) {
            assertTrue(
                    convs.isEmpty(),
                    "oneDNN ran a convolution although it is switched off:\n" + String.join("\n", convs));
        } else {
            // the process's oneDNN says it runs at the cap: the same instruction set the chosen probe ran with
            System.setProperty("dydet.engineCheck.inject", "default:wrong");
            EngineReport r = EngineCheck.verdict(false, false);
            assertEquals(s, r.chosenSetting());
            String isa = out.lines()
                    .filter(l -> l.contains(",info,cpu,isa:"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(
                    r.probe(s).onednnIsa(),
                    isa.substring(isa.indexOf("isa:") + 4).trim());
            assertFalse(convs.isEmpty());
            assertTrue(
                    r.probe(TorchSetting.DEFAULT).onednnIsa() == null
                            || !r.probe(TorchSetting.DEFAULT)
                                    .onednnIsa()
                                    .equals(r.probe(s).onednnIsa()),
                    "the cap should change oneDNN's instruction set");
        }
    }

    @Test
    void aVerdictIsCachedPerMachineAndReadBack() {
        EngineReport first = EngineCheck.verdict(false, false);
        assertTrue(first.defaultIsCorrect() || first.chosenSetting() != null, first.summary());
        Path cacheFile = EngineCheck.cacheFile(first.machine());
        assertTrue(Files.isRegularFile(cacheFile));
        EngineReport again = EngineCheck.verdict(false, false);
        assertEquals(first.checkedAt(), again.checkedAt(), "read from the cache, not measured again");
        assertEquals(first, again);
        EngineReport refreshed = EngineCheck.verdict(false, true);
        assertNotEquals(first.checkedAt(), refreshed.checkedAt());
    }

    @Test
    void aModelsOwnSuiteGetsItsOwnCachedVerdict() {
        EngineReport machine = EngineCheck.verdict(false, false);
        ConvSuite own = new ConvSuite(
                List.of(ConvShape.same(8, 24, 3, 2, 40, 40), ConvShape.same(24, 12, 1, 1, 20, 20)),
                List.of(ConvShape.same(8, 24, 3, 1, 20, 20)));
        EngineReport first = EngineCheck.verdict(own, "a model at 40 px", false, false);
        assertNotEquals(machine.machine().suite(), first.machine().suite(), "keyed by the model's suite");
        assertTrue(Files.isRegularFile(EngineCheck.cacheFile(first.machine())));
        ModeResult fwd = first.probes().get(0).mode(CheckMode.FP32);
        assertNotNull(fwd);
        assertEquals(2, fwd.checked(), "the model's two forward shapes, not the machine suite's four");
        assertEquals(
                first.checkedAt(),
                EngineCheck.verdict(own, "a model at 40 px", false, false).checkedAt());
    }

    @Test
    void theLadderOnlyHoldsCapsThatChangeSomething() {
        assertEquals(
                List.of(TorchSetting.DEFAULT, TorchSetting.NO_ONEDNN), TorchSetting.ladder(java.util.Set.of("sse4_1")));
        assertEquals(
                List.of(
                        TorchSetting.DEFAULT,
                        TorchSetting.AVX512_CORE,
                        TorchSetting.AVX2,
                        TorchSetting.SSE41,
                        TorchSetting.NO_ONEDNN),
                TorchSetting.ladder(java.util.Set.of(
                        "sse4_1", "avx", "avx2", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16")));
    }

    @Test
    void theFastestRightSettingIsChosenAndTheDefaultWheneverRight() {
        ModeResult ok = new ModeResult(ModeResult.PASSED, 4, 0, 1.0, 0.01, List.of(), null);
        ModeResult fast = new ModeResult(ModeResult.PASSED, 4, 0, 0.2, 0.01, List.of(), null);
        ModeResult wrong = new ModeResult(ModeResult.FAILED, 4, 1, 0.1, 9, List.of("x"), null);
        ProbeResult sse = probe("sse41", ok, ok, ok);
        ProbeResult native_ = probe("no_onednn", fast, fast, fast);
        ProbeResult badDefault = probe("default", wrong, ok, ok);
        assertEquals(TorchSetting.NO_ONEDNN, EngineCheck.choose(List.of(badDefault, sse, native_)));
        assertEquals(TorchSetting.DEFAULT, EngineCheck.choose(List.of(probe("default", ok, ok, ok), native_)));
        assertEquals(null, EngineCheck.choose(List.of(badDefault)));
    }

    private static ProbeResult probe(String setting, ModeResult fp32, ModeResult cl, ModeResult train) {
        return new ProbeResult(
                setting, null, null, List.of(), Map.of("fp32", fp32, "fp32_channels_last", cl, "training", train), 1);
    }
}
