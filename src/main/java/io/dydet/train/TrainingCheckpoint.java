package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.json.Json;
import io.dydet.weights.FiniteWeights;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a resumed run needs, in one safetensors file written atomically ({@code weights/last.state.safetensors}):
 * the training weights, the EMA weights, the optimiser's state, each under its own prefix, and the progress
 * (epochs done, iterations, best fitness, ...) as JSON in the metadata. One file, so a run killed at any moment
 * leaves either the previous complete state or the new one.
 */
public final class TrainingCheckpoint {
    public static final String FILE = "last.state.safetensors";
    static final String KEY_PROGRESS = "dydet.train.progress";
    private static final ObjectMapper JSON = Json.MAPPER;
    /** Sections that must be finite to resume from; the router's gap history is bookkeeping, not weights. */
    private static final List<String> FINITE_SECTIONS = List.of("model", "ema", "optimizer");

    /** Where training stands after an epoch. */
    public record Progress(
            int epochsDone,
            int epochs,
            long iteration,
            long lastOptimizerStep,
            double bestFitness,
            int bestEpoch,
            long emaUpdates,
            String step) {}

    /** A read checkpoint: tensors by section ("model", "ema", "optimizer", "extra") and the progress. */
    public record Contents(
            Map<String, Map<String, NDArray>> sections, Progress progress, Map<String, String> metadata) {
        public Map<String, NDArray> section(String name) {
            return sections.getOrDefault(name, Map.of());
        }
    }

    private TrainingCheckpoint() {}

    /** @param extra more metadata (e.g. the optimiser's scalars); keys must not start with dydet.train */
    public static void write(
            Path file, Map<String, Map<String, NDArray>> sections, Progress progress, Map<String, String> extra)
            throws IOException {
        Map<String, NDArray> all = new LinkedHashMap<>();
        sections.forEach((section, tensors) -> tensors.forEach((name, t) -> all.put(section + "/" + name, t)));
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put(KEY_PROGRESS, JSON.writeValueAsString(progress));
        Files.createDirectories(file.toAbsolutePath().getParent());
        SafeTensors.write(file, all, meta);
    }

    public static Contents read(Path file, NDManager manager) throws IOException {
        if (!Files.isRegularFile(file))
            throw new IOException("no training state at " + file + " (was the run started with dydet train?)");
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            String progress = f.metadata().get(KEY_PROGRESS);
            if (progress == null)
                throw new IOException(file + ": not a dydet training state (no " + KEY_PROGRESS + " in its metadata)");
            Map<String, Map<String, NDArray>> sections = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) {
                int slash = e.name().indexOf('/');
                if (slash < 0) throw new IOException(file + ": tensor '" + e.name() + "' has no section prefix");
                NDArray a = f.read(manager, e.name()).duplicate();
                sections.computeIfAbsent(e.name().substring(0, slash), k -> new LinkedHashMap<>())
                        .put(e.name().substring(slash + 1), a);
            }
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (String s : FINITE_SECTIONS)
                sections.getOrDefault(s, Map.of()).forEach((name, t) -> weights.put(s + "/" + name, t));
            FiniteWeights.require(file.toString(), weights);
            return new Contents(sections, JSON.readValue(progress, Progress.class), f.metadata());
        }
    }
}
