package io.dydet.djl;

import ai.djl.Application;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.util.Progress;
import io.dydet.infer.Detector;
import io.dydet.model.ModelSpec;
import io.dydet.weights.WeightsException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads a dydet model file as a {@code ZooModel<Image, DetectedObjects>} whose translator is a
 * {@link DydetTranslator}. Arguments ({@code Criteria.optArgument}):
 * <ul>
 *   <li>{@value #MODEL_PATH} (required): a dydet model file (.safetensors) or a folder holding exactly one;</li>
 *   <li>{@code dyThres}: router threshold in [0, 1], route 1 iff the easiness score reaches it (default 0.5, the
 *       original's; design.md, Routing), or {@code easyRatio}: the share of images on route 1, through the model
 *       file's calibration table (design.md, Calibration);</li>
 *   <li>{@code confidence} (alias {@code threshold}, default 0.25), {@code iou} (alias {@code nmsThreshold},
 *       default 0.45): NMS (design.md, NMS);</li>
 *   <li>{@code imageSize}: letterbox long side (default: the model file's);</li>
 *   <li>{@code threads}: libtorch intra-op threads (default 0, all cores);</li>
 *   <li>{@code model}: the definition (built-in name or cfg YAML) for a weights file that carries none.</li>
 * </ul>
 * The device is the criteria's ({@code optDevice}), CPU when unset.
 */
public final class DydetModelLoader implements ModelLoader {
    public static final String ARTIFACT_ID = "dydet";
    public static final String MODEL_PATH = "modelPath";

    @Override
    public String getGroupId() {
        return DydetModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return ARTIFACT_ID;
    }

    @Override
    public Application getApplication() {
        return Application.CV.OBJECT_DETECTION;
    }

    /** dydet's models are files the user names, not repository artifacts. */
    @Override
    public MRL getMrl() {
        return MRL.undefined(null, DydetModelZoo.GROUP_ID, ARTIFACT_ID);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        // ModelNotFoundException lets Criteria go on to other zoos' loaders; once the criteria name a dydet file,
        // its problems are the user's answer and are thrown as such
        if (criteria.getInputClass() != Image.class || criteria.getOutputClass() != DetectedObjects.class) {
            throw new ModelNotFoundException("dydet gives DetectedObjects for an Image, not "
                    + criteria.getOutputClass().getName() + " for "
                    + criteria.getInputClass().getName());
        }
        Map<String, Object> args = criteria.getArguments();
        String location = ArgumentsUtil.stringValue(args, MODEL_PATH);
        if (location == null)
            throw new ModelNotFoundException("dydet needs the model file as optArgument(\"" + MODEL_PATH + "\", path)");
        Path file = modelFile(Path.of(location));
        Device device = criteria.getDevice() != null ? criteria.getDevice() : Device.cpu();
        Detector detector;
        try {
            detector = detector(file, args, device);
        } catch (WeightsException | RuntimeException e) {
            throw new MalformedModelException(file + ": not a dydet model file (" + e.getMessage() + ")", e);
        }
        try {
            String engine = criteria.getEngine() != null ? criteria.getEngine() : "PyTorch";
            Model model = Model.newInstance(file.getFileName().toString(), device, engine);
            model.setBlock(DydetTranslator.passThrough());
            model.setProperty("dydet.routerThreshold", String.valueOf(detector.routerThreshold()));
            model.setProperty("dydet.imageSize", String.valueOf(detector.imageSize()));
            return (ZooModel<I, O>) new DydetZooModel(model, new DydetTranslator(detector));
        } catch (RuntimeException e) {
            detector.close();
            throw e;
        }
    }

    static Detector detector(Path file, Map<String, ?> args, Device device) throws WeightsException {
        Detector.Builder b = Detector.builder()
                .weights(file)
                .device(device)
                .threads(ArgumentsUtil.intValue(args, "threads", 0))
                .confidence(ArgumentsUtil.floatValue(
                        args, "confidence", ArgumentsUtil.floatValue(args, "threshold", 0.25f)))
                .iou(ArgumentsUtil.floatValue(args, "iou", ArgumentsUtil.floatValue(args, "nmsThreshold", 0.45f)));
        if (args.containsKey("dyThres") && args.containsKey("easyRatio"))
            throw new IllegalArgumentException("give dyThres or easyRatio, not both");
        if (args.containsKey("dyThres")) b.routerThreshold(ArgumentsUtil.floatValue(args, "dyThres"));
        if (args.containsKey("easyRatio")) b.easyRatio(ArgumentsUtil.floatValue(args, "easyRatio"));
        if (args.containsKey("model")) b.model(ModelSpec.resolve(ArgumentsUtil.stringValue(args, "model")));
        if (args.containsKey("imageSize")) b.imageSize(ArgumentsUtil.intValue(args, "imageSize"));
        return b.build();
    }

    /** The file itself, or the one .safetensors file in a folder; errors name what was looked at. */
    static Path modelFile(Path location) throws IOException {
        if (Files.isRegularFile(location)) return location;
        if (!Files.isDirectory(location))
            throw new FileNotFoundException("dydet model file not found: " + location.toAbsolutePath());
        List<Path> found;
        try (Stream<Path> s = Files.list(location)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
        if (found.size() != 1) {
            throw new FileNotFoundException(
                    "dydet needs exactly one .safetensors model file in " + location.toAbsolutePath() + ", found "
                            + (found.isEmpty()
                                    ? "none"
                                    : found.stream()
                                            .map(p -> p.getFileName().toString())
                                            .toList()));
        }
        return found.get(0);
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true;
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        // local files only
    }

    @Override
    public String toString() {
        return DydetModelZoo.GROUP_ID + ":" + ARTIFACT_ID;
    }
}
