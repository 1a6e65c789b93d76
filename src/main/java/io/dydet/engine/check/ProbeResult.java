package io.dydet.engine.check;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one probe process found for one torch setting: per mode, the outcome; what oneDNN said of itself (its version,
 * the instruction set it ran with, the kernels it picked), which proves that a cap took effect.
 */
public record ProbeResult(
        String setting,
        String onednnVersion,
        String onednnIsa,
        List<String> kernels,
        Map<String, ModeResult> modes,
        double wallSeconds) {
    public ProbeResult {
        kernels = kernels == null ? List.of() : List.copyOf(kernels);
        modes = modes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(modes));
    }

    public ModeResult mode(CheckMode m) {
        return modes.get(m.key());
    }

    public boolean passed(CheckMode m) {
        ModeResult r = mode(m);
        return r != null && r.passed();
    }
}
