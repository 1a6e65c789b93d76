package io.dydet.cli;

import io.dydet.engine.Engines;
import io.dydet.engine.check.CheckMode;
import io.dydet.engine.check.ConvSuite;
import io.dydet.engine.check.EngineCheck;
import io.dydet.engine.check.EngineReport;
import io.dydet.engine.check.ModeResult;
import io.dydet.engine.check.ProbeResult;
import io.dydet.json.Json;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = {
            "Checks the engine on this machine: runs the model family's convolutions through libtorch (per oneDNN setting) and ONNX Runtime "
                    + "and compares them with a float64 reference; shows what is right, what dydet chose, and caches the verdict (every command uses it).",
            "With --model/--cfg/--weights, checks that model's own convolutions at --img instead (e.g. a custom cfg, or W6 at 1280)."
        })
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print the whole verdict as JSON")
    boolean json;

    @Option(
            names = "--all",
            description = "probe every torch setting this CPU has, not only until one is right (slower)")
    boolean all;

    @Option(names = "--refresh", description = "measure again instead of reading the cached verdict")
    boolean refresh;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "image size for the model's convolutions (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Override
    public Integer call() throws Exception {
        // libtorch is loaded for its fingerprint only: the probes run in child processes
        Engines.startUnchecked(0);
        long start = System.nanoTime();
        ModelSuite forModel = model.model == null && model.cfg == null && model.weights == null ? null : modelSuite();
        // a model whose convolutions are all in the built-in suite has the machine's verdict already
        EngineReport r = forModel == null || forModel.coveredByBuiltIn()
                ? EngineCheck.verdict(all, refresh)
                : EngineCheck.verdict(forModel.suite(), forModel.name(), all, refresh);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            System.out.println(Json.PRETTY.writeValueAsString(r));
            return 0;
        }
        System.out.printf(
                "CPU: %s (%s family %s model %s), %d cores, caches: %s%n",
                r.machine().cpuModel(),
                r.machine().cpuVendor(),
                r.machine().cpuFamily(),
                r.machine().cpuModelNumber(),
                r.machine().cpus(),
                r.machine().caches());
        System.out.printf(
                "engines: libtorch %s, %s%n",
                r.machine().libtorch(), r.machine().onnxRuntime());
        System.out.printf(
                "%-17s %-9s %-9s %-9s %-9s %-9s %-9s %s%n",
                "torch setting",
                "fp32",
                "fp32 NHWC",
                "bf16 NHWC",
                "training",
                "bf16 train",
                "ort",
                "oneDNN instruction set / kernels");
        for (ProbeResult p : r.probes()) {
            System.out.printf(
                    "%-17s %-9s %-9s %-9s %-9s %-9s %-9s %s%n",
                    p.setting(),
                    cell(p, CheckMode.FP32),
                    cell(p, CheckMode.FP32_CHANNELS_LAST),
                    cell(p, CheckMode.BF16_CHANNELS_LAST),
                    cell(p, CheckMode.TRAINING),
                    cell(p, CheckMode.BF16_TRAINING),
                    cell(p, CheckMode.ONNXRUNTIME),
                    (p.onednnIsa() == null ? "" : p.onednnIsa())
                            + (p.kernels().isEmpty() ? "" : " / " + String.join(" ", p.kernels())));
        }
        System.out.println("cells: passed (engine seconds for the suite), wrong N/M, crashed, skipped, - not probed");
        System.out.println(
                "chosen: torch with " + (r.torchSetting() == null ? "nothing (no setting is right)" : r.torchSetting())
                        + "; inference backend auto = " + autoBackend(r));
        System.out.println(r.summary());
        if (forModel != null) {
            System.out.printf(
                    "checked: %s (%d forward, %d training shapes; %s)%n",
                    forModel.name(),
                    forModel.suite().forward().size(),
                    forModel.suite().training().size(),
                    forModel.coveredByBuiltIn()
                            ? "all in the built-in suite, whose verdict this is"
                            : "some outside the built-in suite, so checked on their own");
        }
        System.out.printf(
                Locale.ROOT,
                "verdict %s in %.2f s (first measurement took %.1f s); cached in %s%n",
                seconds < r.checkSeconds() ? "read from the cache" : "measured",
                seconds,
                r.checkSeconds(),
                EngineCheck.cacheDir().resolve("engine-check"));
        return 0;
    }

    private record ModelSuite(String name, ConvSuite suite, boolean coveredByBuiltIn) {}

    /** The model's distinct convolutions at the image size: the deploy form's forward, the training form's (when it has one) trained. */
    private ModelSuite modelSuite() throws Exception {
        ModelSpec spec = model.spec();
        if (spec == null) spec = ModelFiles.describedSpec(model.weights);
        Network net = Network.build(spec);
        int size = model.imageSize(img, net);
        ConvSuite suite = new ConvSuite(
                net.fused().convShapes(size, size), net.isFused() ? List.of() : net.convShapes(size, size));
        String name =
                (model.weights != null ? model.weights.getFileName().toString() : spec.name()) + " at " + size + " px";
        return new ModelSuite(name, suite, ConvSuite.builtIn().covers(suite));
    }

    private static String autoBackend(EngineReport r) {
        boolean torch = r.torchCorrect(CheckMode.FP32_CHANNELS_LAST);
        if (r.autoPrefersOnnxRuntime()) return torch ? "onnxruntime (clearly faster here)" : "onnxruntime";
        return torch ? (r.onnxRuntimeCorrect() ? "torch (ONNX Runtime not clearly faster)" : "torch") : "none right";
    }

    private static String cell(ProbeResult p, CheckMode m) {
        ModeResult r = p.mode(m);
        if (r == null) return "-";
        return switch (r.status()) {
            case ModeResult.PASSED -> String.format(Locale.ROOT, "ok %.2fs", r.seconds());
            case ModeResult.FAILED -> "wrong " + r.wrong() + "/" + r.checked();
            default -> r.status();
        };
    }
}
