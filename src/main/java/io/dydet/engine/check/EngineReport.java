package io.dydet.engine.check;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine check's verdict for one machine and engine build: what each probed torch setting got right, the setting
 * this process runs torch with (the fastest whose float32 forward, channels-last forward and training are all right),
 * and whether ONNX Runtime is right. Cached as JSON per {@link MachineFingerprint}.
 *
 * @param torchSetting the chosen setting's name, or null when no setting was right in every float32 mode
 * @param checkSeconds how long the probes took (the figure for the check's first run)
 */
public record EngineReport(
        MachineFingerprint machine,
        List<ProbeResult> probes,
        String torchSetting,
        double checkSeconds,
        String checkedAt) {
    public EngineReport {
        probes = List.copyOf(probes);
    }

    /** The modes a torch setting must get right to be chosen: everything but bfloat16 (refused on its own). */
    static final List<CheckMode> REQUIRED = List.of(CheckMode.FP32, CheckMode.FP32_CHANNELS_LAST, CheckMode.TRAINING);

    @JsonIgnore
    public TorchSetting chosenSetting() {
        return torchSetting == null ? null : TorchSetting.parse(torchSetting);
    }

    public ProbeResult probe(TorchSetting s) {
        for (ProbeResult p : probes) if (p.setting().equals(s.cliName())) return p;
        return null;
    }

    /** Whether torch with the chosen setting computes this mode right here (false when no setting was chosen). */
    public boolean torchCorrect(CheckMode mode) {
        if (torchSetting == null) return false;
        ProbeResult p = probe(chosenSetting());
        return p != null && p.passed(mode);
    }

    /** Whether ONNX Runtime computes the suite right here. */
    public boolean onnxRuntimeCorrect() {
        for (ProbeResult p : probes) {
            ModeResult m = p.mode(CheckMode.ONNXRUNTIME);
            if (m != null && (m.passed() || ModeResult.FAILED.equals(m.status()))) return m.passed();
        }
        return false;
    }

    /**
     * Seconds per image the engine spent on the forward suite: torch channels-last at the chosen setting (its probes
     * run two images a call), or ONNX Runtime (one).
     */
    public double forwardSeconds(boolean onnxRuntime) {
        if (onnxRuntime) {
            for (ProbeResult p : probes)
                if (p.passed(CheckMode.ONNXRUNTIME))
                    return p.mode(CheckMode.ONNXRUNTIME).seconds();
            return Double.NaN;
        }
        ProbeResult p = torchSetting == null ? null : probe(chosenSetting());
        return p == null || p.mode(CheckMode.FP32_CHANNELS_LAST) == null
                ? Double.NaN
                : p.mode(CheckMode.FP32_CHANNELS_LAST).seconds() / 2;
    }

    /** Auto prefers ONNX Runtime over a right torch only when the check measured it at least this much faster. */
    static final double AUTO_MARGIN = 0.85;

    /**
     * Whether the auto backend runs ONNX Runtime here: when torch is wrong and ONNX Runtime right, or both are right and
     * ONNX Runtime was clearly faster on the suite (its timing is a proxy for the model's, so torch stays otherwise).
     */
    public boolean autoPrefersOnnxRuntime() {
        boolean torch = torchCorrect(CheckMode.FP32_CHANNELS_LAST), ort = onnxRuntimeCorrect();
        return ort && (!torch || forwardSeconds(true) < AUTO_MARGIN * forwardSeconds(false));
    }

    /** Whether the default setting was right in every required mode (nothing had to change). */
    @JsonIgnore
    public boolean defaultIsCorrect() {
        ProbeResult p = probe(TorchSetting.DEFAULT);
        return p != null && REQUIRED.stream().allMatch(p::passed);
    }

    /** One line: what was found and what was chosen. */
    public String summary() {
        List<String> parts = new ArrayList<>();
        ProbeResult d = probe(TorchSetting.DEFAULT);
        if (d != null && !defaultIsCorrect()) {
            List<String> wrong = new ArrayList<>();
            for (CheckMode m : REQUIRED) {
                ModeResult r = d.mode(m);
                if (r != null && !r.passed() && !ModeResult.SKIPPED.equals(r.status()))
                    wrong.add(m.description() + " " + describe(r));
            }
            parts.add("libtorch computes convolutions wrong on this CPU (" + machine.cpuModel()
                    + ") with its default settings: " + String.join("; ", wrong));
        }
        if (torchSetting == null)
            parts.add("no torch setting is right here: torch is refused (inference uses onnxruntime"
                    + (onnxRuntimeCorrect() ? ")" : ", also wrong here)"));
        else if (!defaultIsCorrect()) parts.add("torch runs with " + describe(chosenSetting()) + " (checked right)");
        if (!onnxRuntimeCorrect()) parts.add("onnxruntime computes convolutions wrong here and is refused");
        if (torchSetting != null && !torchCorrect(CheckMode.BF16_CHANNELS_LAST)) {
            ModeResult b = probe(chosenSetting()).mode(CheckMode.BF16_CHANNELS_LAST);
            parts.add("bf16 " + (b == null ? "not checked" : describe(b)) + ": --precision bf16 is refused");
        }
        return parts.isEmpty()
                ? "engine check passed: torch (" + machine.libtorch()
                        + ") and onnxruntime compute every checked convolution right"
                : String.join("; ", parts);
    }

    static String describe(ModeResult r) {
        return switch (r.status()) {
            case ModeResult.FAILED ->
                r.wrong() + " of " + r.checked() + " checked shapes wrong"
                        + (r.failures().isEmpty()
                                ? ""
                                : ", e.g. "
                                        + r.failures()
                                                .get(0)
                                                .substring(
                                                        0,
                                                        Math.max(
                                                                0,
                                                                r.failures()
                                                                        .get(0)
                                                                        .indexOf(':'))));
            case ModeResult.CRASHED -> "crashed" + (r.crashedAt() == null ? "" : " at " + r.crashedAt());
            case ModeResult.SKIPPED -> "skipped (" + String.join("; ", r.failures()) + ")";
            default -> r.status();
        };
    }

    static String describe(TorchSetting s) {
        return switch (s) {
            case DEFAULT -> "its default settings";
            case NO_ONEDNN -> "oneDNN switched off (libtorch's own convolutions)";
            default -> "oneDNN capped to " + s.isaCap();
        };
    }
}
