package io.dydet.engine.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.json.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine check: proves, on the machine it runs on, that the engine computes the model family's convolutions right
 * (see {@link ConvProbe}, {@link ConvReference}), and picks the torch setting this process uses. Each setting is
 * probed in a child JVM, since a faulty kernel can kill its process. The verdict is cached per
 * {@link MachineFingerprint} in the user's cache folder, so only the first run on a machine pays for it.
 *
 * <p>Order: the default setting first (with ONNX Runtime and bfloat16); when it is wrong, the instruction-set caps
 * below it, fastest first, until one is right in every float32 mode, and libtorch without oneDNN; the fastest right
 * one is chosen. {@code all} probes every setting (for {@code dydet doctor}).
 *
 * <p>Controls (system property, or environment variable): {@code dydet.engineCheck} / {@code DYDET_ENGINE_CHECK}:
 * {@code on} (default), {@code refresh} (ignore the cache), {@code off} (no check: torch runs with its defaults,
 * unverified); {@code dydet.engineCheck.inject} / {@code DYDET_ENGINE_CHECK_INJECT}: fault injection for tests,
 * {@code setting:wrong|crash[,...]} (the cache is neither read nor written then); {@code dydet.engineCheck.suite}:
 * another suite file (see {@link ConvSuite}); {@code dydet.cacheDir} /
 * {@code DYDET_CACHE_DIR}: the cache folder (default {@code $XDG_CACHE_HOME/dydet} or {@code ~/.cache/dydet}).
 */
public final class EngineCheck {
    private static final Logger LOG = LoggerFactory.getLogger(EngineCheck.class);
    private static final ObjectMapper JSON = Json.PRETTY;
    /** A probe that runs longer than this is stopped and counted as timed out. */
    private static final long PROBE_TIMEOUT_SECONDS = 300;

    private EngineCheck() {}

    /** on, off or refresh. */
    public static String mode() {
        String v = setting("dydet.engineCheck", "DYDET_ENGINE_CHECK");
        v = v == null ? "on" : v.trim().toLowerCase(Locale.ROOT);
        if (!Set.of("on", "off", "refresh").contains(v)) {
            throw new IllegalArgumentException(
                    "dydet.engineCheck / DYDET_ENGINE_CHECK must be on, off or refresh, not '" + v + "'");
        }
        return v;
    }

    /** Fault injection: setting -> wrong|crash. */
    static Map<TorchSetting, String> injections() {
        String v = setting("dydet.engineCheck.inject", "DYDET_ENGINE_CHECK_INJECT");
        Map<TorchSetting, String> out = new LinkedHashMap<>();
        if (v == null || v.isBlank()) return out;
        for (String part : v.split(",")) {
            String[] kv = part.trim().split(":");
            if (kv.length != 2 || !Set.of("wrong", "crash").contains(kv[1])) {
                throw new IllegalArgumentException(
                        "dydet.engineCheck.inject: expected setting:wrong or setting:crash, found '" + part + "'");
            }
            out.put(TorchSetting.parse(kv[0]), kv[1]);
        }
        return out;
    }

    /**
     * The text of the built-in suite, or of the file named by {@code dydet.engineCheck.suite} /
     * {@code DYDET_ENGINE_CHECK_SUITE}; parsed only when the check runs (a cached verdict is found by its digest).
     */
    static String suiteText() {
        String v = setting("dydet.engineCheck.suite", "DYDET_ENGINE_CHECK_SUITE");
        if (v == null || v.isBlank()) return ConvSuite.builtInText();
        try {
            return Files.readString(Path.of(v), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("engine check suite " + v + ": " + e.getMessage(), e);
        }
    }

    static String suiteSource() {
        String v = setting("dydet.engineCheck.suite", "DYDET_ENGINE_CHECK_SUITE");
        return v == null || v.isBlank() ? "built-in " + ConvSuite.BUILT_IN : v;
    }

    static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }

    /** The folder for the cached verdicts. */
    public static Path cacheDir() {
        String v = setting("dydet.cacheDir", "DYDET_CACHE_DIR");
        if (v != null && !v.isBlank()) return Path.of(v);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("dydet");
    }

    static Path cacheFile(MachineFingerprint fp) {
        return cacheDir().resolve("engine-check").resolve(fp.key() + ".json");
    }

    /**
     * The verdict for this machine: from the cache, or measured now (and cached). Needs libtorch loaded (for the
     * fingerprint) but no convolution run yet in this process.
     *
     * @param all probe every setting instead of stopping at the first right one
     * @param refresh ignore a cached verdict
     */
    public static EngineReport verdict(boolean all, boolean refresh) {
        return verdict(suiteText(), suiteSource(), all, refresh);
    }

    /**
     * The verdict for another suite (e.g. one model's convolutions at its image size: {@code dydet doctor --model}),
     * cached under its own digest.
     */
    public static EngineReport verdict(ConvSuite suite, String source, boolean all, boolean refresh) {
        return verdict(suite.format(source), source, all, refresh);
    }

    private static EngineReport verdict(String suiteText, String suiteSource, boolean all, boolean refresh) {
        // the modes are part of what a verdict covers: a dydet that checks a new mode re-runs the check once
        MachineFingerprint fp =
                MachineFingerprint.current(suiteText + "\n# modes: " + Arrays.toString(CheckMode.values()));
        Map<TorchSetting, String> inject = injections();
        Path cache = cacheFile(fp);
        if (!refresh && inject.isEmpty() && Files.isRegularFile(cache)) {
            try {
                EngineReport cached = JSON.readValue(cache.toFile(), EngineReport.class);
                if (fp.equals(cached.machine())
                        && (!all
                                || cached.probes().size()
                                        >= TorchSetting.ladder(MachineFingerprint.cpuFlags())
                                                .size())) return cached;
            } catch (IOException | RuntimeException e) {
                LOG.warn("engine check: ignoring the unreadable cached verdict {} ({})", cache, e.getMessage());
            }
        }
        EngineReport report = measure(fp, ConvSuite.parse(suiteText, suiteSource), all, inject);
        if (inject.isEmpty()) write(cache, report);
        return report;
    }

    private static void write(Path cache, EngineReport report) {
        try {
            Files.createDirectories(cache.getParent());
            Path tmp =
                    Files.createTempFile(cache.getParent(), cache.getFileName().toString(), ".tmp");
            JSON.writeValue(tmp.toFile(), report);
            Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn(
                    "engine check: cannot cache the verdict in {} ({}); it will run again next time",
                    cache,
                    e.getMessage());
        }
    }

    private static EngineReport measure(
            MachineFingerprint fp, ConvSuite suite, boolean all, Map<TorchSetting, String> inject) {
        long start = System.nanoTime();
        LOG.info(
                "engine check: proving libtorch's and ONNX Runtime's convolutions on this machine ({}), once per machine; "
                        + "about 15 s, longer when something is wrong",
                fp.cpuModel());
        List<TorchSetting> ladder = TorchSetting.ladder(MachineFingerprint.cpuFlags());
        List<ProbeResult> probes = new ArrayList<>();
        Path work;
        try {
            work = Files.createTempDirectory("dydet-engine-check");
        } catch (IOException e) {
            throw new IllegalStateException("engine check: cannot create a temporary folder: " + e.getMessage(), e);
        }
        try {
            Path suiteFile = work.resolve("suite.txt");
            Files.writeString(suiteFile, suite.format("the engine check's suite"), StandardCharsets.UTF_8);
            // fail fast: a setting is dropped at its first wrong shape; ONNX Runtime (untouched by the settings) rides
            // along in each probe until one has checked it whole
            boolean ortDone = false, right = false;
            for (TorchSetting s : ladder) {
                if (!all && right) break;
                List<CheckMode> modes = new ArrayList<>(EngineReport.REQUIRED);
                modes.add(CheckMode.BF16_CHANNELS_LAST);
                modes.add(CheckMode.BF16_TRAINING);
                if (!ortDone) modes.add(CheckMode.ONNXRUNTIME);
                ProbeResult r = probe(s, suiteFile, work, modes, !all, inject.get(s));
                probes.add(r);
                ModeResult ort = r.mode(CheckMode.ONNXRUNTIME);
                ortDone |= ort != null && (ort.passed() || ModeResult.FAILED.equals(ort.status()));
                if (passesRequired(r)) {
                    right = true;
                    // at the slowest cap, libtorch's own convolutions (MKL) may well be faster: measure them too
                    if (!all && s == TorchSetting.SSE41) right = false;
                }
            }
            if (!ortDone) {
                ProbeResult r =
                        probe(TorchSetting.DEFAULT, suiteFile, work, List.of(CheckMode.ONNXRUNTIME), false, null);
                probes.add(new ProbeResult("onnxruntime", null, null, List.of(), r.modes(), r.wallSeconds()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("engine check: " + e.getMessage(), e);
        } finally {
            deleteQuietly(work);
        }
        TorchSetting chosen = choose(probes);
        EngineReport report = new EngineReport(
                fp,
                probes,
                chosen == null ? null : chosen.cliName(),
                (System.nanoTime() - start) / 1e9,
                Instant.now().toString());
        LOG.info("engine check took {} s", String.format(Locale.ROOT, "%.1f", report.checkSeconds()));
        return report;
    }

    static boolean passesRequired(ProbeResult r) {
        return EngineReport.REQUIRED.stream().allMatch(r::passed);
    }

    /** The right setting with the least engine time (channels-last inference plus training); null when none is right. */
    static TorchSetting choose(List<ProbeResult> probes) {
        TorchSetting best = null;
        double bestSeconds = Double.POSITIVE_INFINITY;
        for (ProbeResult p : probes) {
            if (!passesRequired(p)) continue;
            TorchSetting s = TorchSetting.parse(p.setting());
            // the default is today's behaviour: keep it whenever it is right
            if (s == TorchSetting.DEFAULT) return s;
            double seconds = p.mode(CheckMode.FP32_CHANNELS_LAST).seconds()
                    + p.mode(CheckMode.TRAINING).seconds();
            if (seconds < bestSeconds) {
                best = s;
                bestSeconds = seconds;
            }
        }
        return best;
    }

    /** Runs one probe process; a crash or a timeout becomes the result of every mode it had not finished. */
    static ProbeResult probe(
            TorchSetting setting, Path suite, Path work, List<CheckMode> modes, boolean failFast, String inject)
            throws IOException {
        Path out = work.resolve("probe-" + setting.cliName() + ".json");
        Path log = work.resolve("probe-" + setting.cliName() + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx3g");
        cmd.add("-XX:ErrorFile=" + work.resolve("hs_err_" + setting.cliName() + ".log"));
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda=error");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ConvProbe.class.getName());
        cmd.addAll(List.of(
                "--setting",
                setting.cliName(),
                "--suite",
                suite.toString(),
                "--out",
                out.toString(),
                "--fail-fast",
                String.valueOf(failFast)));
        cmd.add("--modes");
        cmd.add(String.join(",", modes.stream().map(CheckMode::key).toList()));
        if (inject != null) cmd.addAll(List.of("--inject", inject));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        if (setting.isaCap() != null) env.put(TorchSetting.ISA_VARIABLE, setting.isaCap());
        // oneDNN names its kernels and instruction set on standard output: the proof that a cap took effect
        env.put("ONEDNN_VERBOSE", "1");
        long start = System.nanoTime();
        Process p = pb.start();
        boolean finished;
        try {
            finished = p.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("engine check interrupted");
        }
        if (!finished) p.destroyForcibly();
        double wall = (System.nanoTime() - start) / 1e9;
        OneDnnLog onednn = OneDnnLog.read(log);
        ProbeResult r = null;
        if (finished && p.exitValue() == 0 && Files.isRegularFile(out)) {
            ProbeResult raw = JSON.readValue(out.toFile(), ProbeResult.class);
            r = new ProbeResult(raw.setting(), onednn.version, onednn.isa, onednn.kernels, raw.modes(), wall);
        } else {
            String why = !finished ? ModeResult.TIMED_OUT : ModeResult.CRASHED;
            String at = onednn.lastProbeLine == null ? "start-up" : onednn.lastProbeLine;
            String detail = finished
                    ? "exit " + p.exitValue() + crashSignal(work, setting)
                    : "after " + PROBE_TIMEOUT_SECONDS + " s";
            Map<String, ModeResult> modesOut = new LinkedHashMap<>();
            for (CheckMode m : modes)
                modesOut.put(m.key(), new ModeResult(why, 0, 0, 0, Double.POSITIVE_INFINITY, List.of(detail), at));
            r = new ProbeResult(setting.cliName(), onednn.version, onednn.isa, onednn.kernels, modesOut, wall);
            LOG.warn("engine check: the probe with torch setting {} {} ({}) at {}", setting.cliName(), why, detail, at);
        }
        return r;
    }

    /** The signal and frame of a JVM crash, from its error file (" SIGFPE in libtorch_cpu.so+0x..."), or "". */
    private static String crashSignal(Path work, TorchSetting setting) {
        Path err = work.resolve("hs_err_" + setting.cliName() + ".log");
        if (!Files.isRegularFile(err)) return "";
        try {
            String signal = null, frame = null;
            List<String> lines = Files.readAllLines(err, StandardCharsets.ISO_8859_1);
            for (int i = 0; i < lines.size() && i < 60; i++) {
                String l = lines.get(i);
                if (signal == null && l.contains(" (0x") && l.startsWith("#  SIG"))
                    signal = l.substring(3).split(" ")[0];
                if (l.startsWith("# Problematic frame:") && i + 1 < lines.size())
                    frame = lines.get(i + 1).substring(1).trim();
            }
            return (signal == null ? "" : ", " + signal) + (frame == null ? "" : " in " + frame);
        } catch (IOException e) {
            return "";
        }
    }

    /** What oneDNN's verbose output and the probe's progress lines say. */
    private record OneDnnLog(String version, String isa, List<String> kernels, String lastProbeLine) {
        static OneDnnLog read(Path log) {
            String version = null, isa = null, last = null;
            Set<String> kernels = new TreeSet<>();
            if (Files.isRegularFile(log)) {
                try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    for (String l : (Iterable<String>) lines::iterator) {
                        if (l.startsWith(ConvProbe.PROGRESS)) {
                            last = l.substring(ConvProbe.PROGRESS.length());
                        } else if (l.startsWith("onednn_verbose")) {
                            String[] f = l.split(",");
                            if (l.contains(",info,oneDNN v") && f.length > 3) version = f[3].trim();
                            else if (l.contains(",info,cpu,isa:"))
                                isa = l.substring(l.indexOf("isa:") + 4).trim();
                            else if (l.contains(",primitive,exec,cpu,convolution,") && f.length > 6) kernels.add(f[6]);
                        }
                    }
                } catch (IOException | UncheckedIOException e) {
                    // a partial log still tells what it can
                }
            }
            return new OneDnnLog(version, isa, List.copyOf(kernels), last);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
