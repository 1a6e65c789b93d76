package io.dydet.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.engine.check.ConvSuite;
import io.dydet.engine.check.EngineReport;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.RoutedModel;
import io.dydet.model.RouterSetting;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * A model file to the network that runs it: {@link #open} reads the file (training form), {@link #deploy} fuses it
 * into the deploy form and opens that on a backend. Callers check their options against the loaded model in between,
 * before the cost of fusing. The loader owns every tensor it made: close it when done.
 */
public final class ModelLoader implements AutoCloseable {
    private final NDManager root;
    private final Path weights;
    private final ModelArtifact artifact;
    private DynamicDetModel trainingForm;
    private DynamicDetModel deployForm;
    private RoutedModel model;
    private Backend backend;
    private boolean closed;

    private ModelLoader(NDManager root, Path weights, ModelFiles.Loaded loaded) {
        this.root = root;
        this.weights = weights;
        this.artifact = loaded.artifact();
        this.trainingForm = loaded.model();
    }

    /** A dydet model file, a safetensors state dict (with {@code spec}) or an original .pt checkpoint, on {@code device}. */
    public static ModelLoader open(Path weights, ModelSpec spec, Device device) throws WeightsException {
        NDManager root = NDManager.newBaseManager(device);
        try {
            return new ModelLoader(root, weights, ModelFiles.open(weights, spec, root.newSubManager()));
        } catch (RuntimeException | WeightsException e) {
            root.close();
            throw e;
        }
    }

    public ModelArtifact artifact() {
        return artifact;
    }

    /** The model as the file holds it (unfused), e.g. to save it again with a calibration. */
    public DynamicDetModel trainingForm() {
        if (trainingForm == null)
            throw new IllegalStateException("the training form was released when the model was deployed");
        return trainingForm;
    }

    /** The network as loaded (before fusing): the one to check image sizes and classes against. */
    public Network network() {
        return trainingForm().network();
    }

    /**
     * The size the model runs at: {@code requested}, else the one the file records (so a W6 model runs at its 1280),
     * checked against the network's largest stride.
     */
    public int imageSize(Integer requested) {
        return network().checkImageSize(requested != null ? requested : artifact.imageSize());
    }

    /**
     * On a machine where the engine check found faults, a model whose convolutions lie outside the checked suite
     * (another cfg, W6 at 1280) is not proven right by it: say so and how to check it.
     */
    public void warnWhenUnchecked(int size) {
        EngineReport r = Engines.checkReport();
        if (r == null || (r.defaultIsCorrect() && r.onnxRuntimeCorrect())) return;
        if (ConvSuite.builtIn().covers(new ConvSuite(network().fused().convShapes(size, size), List.of()))) return;
        LoggerFactory.getLogger(Detector.class)
                .warn(
                        "engine check: this machine computes some convolutions wrong, and this model's "
                                + "convolutions at {} px are not all in the checked suite; prove them with: dydet doctor --weights FILE --img {}",
                        size,
                        size);
    }

    /** The router threshold a setting gives for this model (e.g. an easy share through the model's calibration). */
    public float routerThreshold(RouterSetting setting) {
        return setting.resolve(artifact, weights.toString());
    }

    /** The fp32 deploy form in memory, on no backend (for export, and for runs that keep to torch). */
    public DynamicDetModel deployForm() {
        if (deployForm == null) deployForm = trainingForm().fuse(root.newSubManager());
        return deployForm;
    }

    /**
     * Fuses the model at {@code precision} and opens it on {@code backend} (auto resolved here, an explicit choice
     * checked); with {@code releaseTrainingForm} the unfused weights are freed first.
     */
    public RoutedModel deploy(Precision precision, Backend backend, boolean releaseTrainingForm) {
        if (model != null) throw new IllegalStateException("the model is already deployed");
        Backend chosen = backend.resolve(precision, root.getDevice());
        DynamicDetModel fused = trainingForm().fuse(root.newSubManager(), precision);
        if (releaseTrainingForm) {
            trainingForm.close();
            trainingForm = null;
        }
        RoutedModel run = chosen.open(fused);
        // the exported copy runs; the torch weights would only hold memory
        if (run != fused) fused.close();
        else deployForm = fused;
        this.backend = chosen;
        this.model = run;
        return run;
    }

    /** The deployed model ({@link #deploy} first). */
    public RoutedModel model() {
        if (model == null) throw new IllegalStateException("deploy the model first");
        return model;
    }

    /** The backend the deployed model runs on. */
    public Backend backend() {
        return backend;
    }

    /** A manager for one pass's temporaries, on the model's device. */
    public NDManager newSubManager() {
        return root.newSubManager();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (model != null && backend != Backend.TORCH) model.close();
        } finally {
            root.close();
        }
    }
}
