package io.dydet.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.nn.ParamSpec;
import io.dydet.weights.FiniteWeights;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import io.dydet.weights.TorchCheckpoint;
import io.dydet.weights.WeightsException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reading and writing model weights. Three inputs are accepted wherever a command takes {@code --weights}:
 * <ul>
 *   <li>a dydet model file (safetensors whose metadata carries the definition, class names and more, see
 *       {@link ModelArtifact});</li>
 *   <li>a bare safetensors state dict with the original key names (the definition comes from the caller, or is
 *       recognised among the built-in ones by its key names and shapes);</li>
 *   <li>an original PyTorch checkpoint ({@code .pt}), read without Python and without running pickled code.</li>
 * </ul>
 * Loading is always strict: every missing, unexpected or mis-shaped key is reported at once, and weights holding NaN
 * or infinite values are refused (see {@link FiniteWeights}).
 */
public final class ModelFiles {
    /** Metadata key holding the model definition (cfg YAML text) in files dydet writes. */
    public static final String CFG_KEY = "dydet.cfg";
    /** Metadata key holding the definition's short name. */
    public static final String NAME_KEY = "dydet.model";

    private ModelFiles() {}

    /** A loaded model and what its file said about it (for bare state dicts: defaults derived from the definition). */
    public record Loaded(DynamicDetModel model, ModelArtifact artifact) {}

    /** True for an original PyTorch checkpoint (.pt/.pth zip), false for safetensors. */
    public static boolean isCheckpoint(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".pt") || n.endsWith(".pth");
    }

    /**
     * The definition of a weights file: the one a dydet model file carries, else the built-in definition that its
     * key names and shapes belong to (see {@link #recognize(Path)}).
     */
    public static ModelSpec describedSpec(Path weights) throws WeightsException {
        if (!isCheckpoint(weights)) {
            try (SafeTensorsFile f = SafeTensors.open(weights)) {
                if (ModelArtifact.isModelFile(f.metadata()))
                    return ModelArtifact.fromMetadata(f.metadata(), weights.toString())
                            .spec(weights.toString());
            }
        }
        return recognize(weights);
    }

    /** Checks names and shapes of a weights file against a network without reading the tensors. */
    public static void checkFits(Path weights, Network network) throws WeightsException {
        Map<String, long[]> found = shapes(weights);
        WeightReport r = WeightReport.compareShapes(network.stateDictSpec(), found);
        if (!r.isClean()) {
            throw new ModelLoadException(weights + " does not fit model "
                    + network.spec().name() + " (" + network.spec().source() + "): " + r.describe(10));
        }
    }

    /** Tensor names and shapes of a safetensors file or a checkpoint's state dict. */
    public static Map<String, long[]> shapes(Path weights) throws WeightsException {
        Map<String, long[]> found = new LinkedHashMap<>();
        if (isCheckpoint(weights)) {
            try (TorchCheckpoint ckpt = TorchCheckpoint.open(weights)) {
                return ckpt.stateDictShapes(); // from the pickle alone: no tensor data is read
            }
        }
        try (SafeTensorsFile f = SafeTensors.open(weights)) {
            for (TensorEntry e : f.entries()) found.put(e.name(), e.shape());
        }
        return found;
    }

    /**
     * Loads weights strictly into the network of {@code spec}, or of the definition the file carries or is recognised
     * as when spec is null. The model lives in {@code manager}, on its device.
     */
    public static DynamicDetModel load(Path weights, ModelSpec spec, NDManager manager) throws WeightsException {
        return open(weights, spec, manager).model();
    }

    /** Like {@link #load} and also returns the file's metadata (or defaults for files without it). */
    public static Loaded open(Path weights, ModelSpec spec, NDManager manager) throws WeightsException {
        ModelArtifact artifact = null;
        Map<String, String> meta = Map.of();
        if (!isCheckpoint(weights)) {
            try (SafeTensorsFile f = SafeTensors.open(weights)) {
                meta = f.metadata();
            }
            if (ModelArtifact.isModelFile(meta)) artifact = ModelArtifact.fromMetadata(meta, weights.toString());
        }
        ModelSpec s = spec != null ? spec : artifact != null ? artifact.spec(weights.toString()) : recognize(weights);
        Network net = Network.build(s);
        checkFits(weights, net); // names and shapes from the header or pickle: fail before reading any tensor
        try (NDManager staging = manager.newSubManager()) {
            Map<String, NDArray> tensors;
            if (isCheckpoint(weights)) {
                try (TorchCheckpoint ckpt = TorchCheckpoint.open(weights)) {
                    tensors = ckpt.stateDict(staging);
                    meta = ckpt.metadata();
                }
            } else {
                try (SafeTensorsFile f = SafeTensors.open(weights)) {
                    tensors = f.readAll(staging, false);
                }
            }
            FiniteWeights.require(weights.toString(), tensors);
            DynamicDetModel model = DynamicDetModel.fromStateDict(net, tensors, manager, weights.toString());
            if (artifact == null || spec != null) {
                Map<String, String> prov = new LinkedHashMap<>();
                prov.put("source", weights.toString());
                meta.forEach((k, v) -> prov.put("checkpoint." + k, v));
                artifact = new ModelArtifact(
                        s.name(),
                        s.toYaml(),
                        artifact != null ? artifact.classNames() : ClassNames.defaults(s.nc()),
                        net.maxStride() >= 64 ? 1280 : 640,
                        net.strides(),
                        null,
                        prov);
            }
            return new Loaded(model, artifact);
        }
    }

    /**
     * Writes a model file with freshly initialised weights (as training starts from): for benchmarks of speed,
     * which does not depend on what the weights learnt.
     */
    public static void writeInitialized(Path file, ModelSpec spec, int imageSize, long seed) throws IOException {
        Network network = Network.build(spec);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = DynamicDetModel.initialized(network, m, seed);
            Map<String, String> prov = new LinkedHashMap<>();
            prov.put("source", "initialised weights (seed " + seed + "), for speed measurements only");
            save(
                    file,
                    model,
                    new ModelArtifact(
                            spec.name(),
                            spec.toYaml(),
                            ClassNames.defaults(spec.nc()),
                            imageSize,
                            network.strides(),
                            null,
                            prov));
        }
    }

    /** Writes a dydet model file: the model's tensors in state-dict order and the artifact's metadata, atomically. */
    public static void save(Path file, DynamicDetModel model, ModelArtifact artifact) throws IOException {
        save(file, model.network(), model.stateDict(), artifact);
    }

    /** The same from a state dict of {@code network} (e.g. EMA weights) without building a model around it. */
    public static void save(Path file, Network network, Map<String, NDArray> state, ModelArtifact artifact)
            throws IOException {
        if (network.isFused())
            throw new IllegalArgumentException("save the unfused model; fusion happens at load time");
        SafeTensors.write(file, state, artifact.toMetadata());
    }

    /**
     * Finds the built-in definition (model, form, width and number of classes) whose state dict has exactly these
     * key names and shapes; fails with the candidates tried when none fits.
     */
    public static ModelSpec recognize(Path weights) throws WeightsException {
        Map<String, long[]> found = shapes(weights);
        ModelSpec s = recognize(found);
        if (s == null) {
            throw new ModelLoadException(
                    weights + " does not name its model definition and matches none of the built-in ones ("
                            + String.join(", ", candidateNames())
                            + ", at the width its first layer implies and at 0.25/0.5/0.75/1/1.25/1.5); "
                            + "give its definition with --cfg FILE or --model NAME");
        }
        return s;
    }

    static List<String> candidateNames() {
        List<String> c = new ArrayList<>();
        for (String b : ModelSpec.BUILT_IN) {
            c.add(b);
            c.add(b + "-step1");
        }
        return c;
    }

    /** The recognised definition, or null. */
    public static ModelSpec recognize(Map<String, long[]> found) {
        long[] stem = found.get("model_b.1.conv.weight");
        long[] det = null;
        for (Map.Entry<String, long[]> e : found.entrySet()) {
            if (e.getKey().startsWith("model_h.") && e.getKey().endsWith(".m.0.weight")) det = e.getValue();
        }
        if (stem == null || det == null) return null;
        int nc = (int) (det[0] / 3 - 5);
        for (String name : candidateNames()) {
            ModelSpec base = ModelSpec.builtIn(name);
            Network full = Network.build(base);
            ParamSpec stem1 = full.stateDictSpec().stream()
                    .filter(p -> p.name().equals("model_b.1.conv.weight"))
                    .findFirst()
                    .orElse(null);
            if (stem1 == null) continue;
            double ratio = (double) stem[0] / stem1.shape().get(0);
            for (double width : new double[] {ratio, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5}) {
                try {
                    ModelSpec s = (width == 1.0 ? base : base.withWidth(width));
                    if (nc > 0 && nc != s.nc()) s = s.withClasses(nc);
                    if (WeightReport.compareShapes(Network.build(s).stateDictSpec(), found)
                            .isClean()) return s;
                } catch (ConfigException e) {
                    // this width does not build; try the next
                }
            }
        }
        return null;
    }
}
