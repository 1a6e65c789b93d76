package io.dydet.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.json.Json;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a dydet model file says about itself, in the safetensors {@code __metadata__} (string to string):
 * the model definition (cfg YAML text), class names, input size, strides, the calibrated router thresholds
 * (when calibrated) and provenance (where the weights came from, training data, epochs, seed, code revision).
 * With it, a single file is enough to run the model.
 *
 * @param calibration calibrated thresholds as JSON text, or null
 * @param provenance free-form facts, e.g. source, created, dydet_version, git_revision, data, epochs, seed
 */
public record ModelArtifact(
        String modelName,
        String cfgYaml,
        List<String> classNames,
        int imageSize,
        List<Integer> strides,
        String calibration,
        Map<String, String> provenance) {
    public static final String FORMAT = "dydet-model/1";
    static final String KEY_FORMAT = "dydet.format";
    static final String KEY_NAMES = "dydet.names";
    static final String KEY_IMG = "dydet.img";
    static final String KEY_STRIDES = "dydet.strides";
    static final String KEY_CALIBRATION = "dydet.calibration";
    static final String KEY_PROVENANCE = "dydet.provenance";
    private static final ObjectMapper JSON = Json.MAPPER;

    public ModelArtifact {
        classNames = List.copyOf(classNames);
        strides = List.copyOf(strides);
        provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    /** The metadata map written into the safetensors header. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KEY_FORMAT, FORMAT);
        m.put(ModelFiles.NAME_KEY, modelName);
        m.put(ModelFiles.CFG_KEY, cfgYaml);
        try {
            m.put(KEY_NAMES, JSON.writeValueAsString(classNames));
            m.put(KEY_STRIDES, JSON.writeValueAsString(strides));
            m.put(KEY_PROVENANCE, JSON.writeValueAsString(provenance));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        m.put(KEY_IMG, Integer.toString(imageSize));
        if (calibration != null) m.put(KEY_CALIBRATION, calibration);
        return m;
    }

    /** True when the metadata is a dydet model file's. */
    public static boolean isModelFile(Map<String, String> metadata) {
        return metadata.containsKey(ModelFiles.CFG_KEY);
    }

    /** Reads the metadata of a dydet model file; {@code source} names the file in errors. */
    public static ModelArtifact fromMetadata(Map<String, String> m, String source) {
        String cfg = m.get(ModelFiles.CFG_KEY);
        if (cfg == null)
            throw new ModelLoadException(
                    source + " is not a dydet model file (no " + ModelFiles.CFG_KEY + " in its metadata)");
        String format = m.getOrDefault(KEY_FORMAT, FORMAT);
        if (!format.equals(FORMAT))
            throw new ModelLoadException(
                    source + ": unsupported model file format '" + format + "' (this dydet reads " + FORMAT + ")");
        try {
            String name = m.getOrDefault(ModelFiles.NAME_KEY, "model");
            ModelSpec spec = ModelSpec.parse(cfg, name, source + " (embedded definition)");
            List<String> names = m.containsKey(KEY_NAMES)
                    ? JSON.readValue(m.get(KEY_NAMES), new TypeReference<List<String>>() {})
                    : ClassNames.defaults(spec.nc());
            List<Integer> strides = m.containsKey(KEY_STRIDES)
                    ? JSON.readValue(m.get(KEY_STRIDES), new TypeReference<List<Integer>>() {})
                    : List.of();
            Map<String, String> prov = m.containsKey(KEY_PROVENANCE)
                    ? JSON.readValue(m.get(KEY_PROVENANCE), new TypeReference<LinkedHashMap<String, String>>() {})
                    : Map.of();
            int img = Integer.parseInt(m.getOrDefault(KEY_IMG, "640"));
            if (names.size() != spec.nc())
                throw new ModelLoadException(
                        source + ": " + names.size() + " class names for a model with nc " + spec.nc());
            return new ModelArtifact(name, cfg, names, img, strides, m.get(KEY_CALIBRATION), prov);
        } catch (JsonProcessingException | NumberFormatException e) {
            throw new ModelLoadException(source + ": malformed dydet metadata: " + e.getMessage(), e);
        }
    }

    /** The calibrated thresholds, or null when the model was never calibrated. */
    public ThresholdTable thresholds() {
        return calibration == null ? null : ThresholdTable.fromJson(calibration, modelName);
    }

    /** The calibrated thresholds; fails with the command that makes them when there are none. */
    public ThresholdTable requireThresholds(String source) {
        ThresholdTable t = thresholds();
        if (t == null) {
            throw new ModelLoadException(source + " has no router calibration; run: dydet calibrate --weights " + source
                    + " --data YOUR_DATA.yaml (or give a raw --dy-thres)");
        }
        return t;
    }

    /** The same artifact with a calibration table. */
    public ModelArtifact withCalibration(ThresholdTable table) {
        return new ModelArtifact(modelName, cfgYaml, classNames, imageSize, strides, table.toJson(), provenance);
    }

    public ModelSpec spec(String source) {
        return ModelSpec.parse(cfgYaml, modelName, source + " (embedded definition)");
    }
}
