package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.nn.ParamSpec;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loading a model from a safetensors weights file whose keys are the original state-dict names. A file written
 * by dydet names its definition in its metadata ({@value #CFG_KEY}: the cfg YAML text); a plain state dict needs
 * the definition from the caller.
 */
public final class ModelFiles {
    /** Metadata key holding the model definition (cfg YAML text) in files dydet writes. */
    public static final String CFG_KEY = "dydet.cfg";
    /** Metadata key holding the definition's short name. */
    public static final String NAME_KEY = "dydet.model";

    private ModelFiles() {}

    /** The definition a dydet weights file carries in its metadata. */
    public static ModelSpec describedSpec(Path weights) throws WeightsException {
        try (SafeTensorsFile f = SafeTensors.open(weights)) {
            String cfg = f.metadata().get(CFG_KEY);
            if (cfg == null) {
                throw new ModelLoadException(weights + " holds only tensors and does not name its model definition; "
                        + "give it with --model NAME (e.g. dy-yolov7 --width 0.25) or --cfg FILE");
            }
            String name = f.metadata().getOrDefault(NAME_KEY, weights.getFileName().toString().replaceFirst("\\.safetensors$", ""));
            return ModelSpec.parse(cfg, name, weights + " (embedded definition)");
        }
    }

    /** Checks names and shapes of a weights file against a network without reading the tensors. */
    public static void checkFits(Path weights, Network network) throws WeightsException {
        try (SafeTensorsFile f = SafeTensors.open(weights)) {
            Map<String, long[]> found = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) found.put(e.name(), e.shape());
            List<ParamSpec> expected = network.stateDictSpec();
            WeightReport r = WeightReport.compareShapes(expected, found);
            if (!r.isClean()) {
                throw new ModelLoadException(weights + " does not fit model " + network.spec().name() + " (" + network.spec().source() + "): " + r.describe(10));
            }
        }
    }

    /**
     * Loads weights strictly into the network of {@code spec} (or the definition the file carries when spec is null).
     * The model lives in {@code manager}, on its device.
     */
    public static DynamicDetModel load(Path weights, ModelSpec spec, NDManager manager) throws WeightsException {
        ModelSpec s = spec != null ? spec : describedSpec(weights);
        Network net = Network.build(s);
        checkFits(weights, net);
        try (SafeTensorsFile f = SafeTensors.open(weights); NDManager staging = manager.newSubManager()) {
            Map<String, NDArray> tensors = f.readAll(staging, false);
            return DynamicDetModel.fromStateDict(net, tensors, manager, weights.toString());
        }
    }
}
