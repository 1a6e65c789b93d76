package io.dydet.djl;

import ai.djl.Application;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelZoo;
import java.nio.file.Path;
import java.util.Set;

/**
 * dydet's DJL model zoo, group {@value #GROUP_ID}, registered through {@link DydetZooProvider} (ServiceLoader), so
 * that {@code Criteria.loadModel()} finds {@link DydetModelLoader} among the zoos on the classpath.
 *
 * <p>DJL 0.36 asks the registered zoos only when the criteria name no model location: {@code optModelPath} and
 * {@code optModelUrls} make the criteria's zoo a DefaultModelZoo of that one location, whose BaseModelLoader
 * would hand the file to the PyTorch engine (which reads TorchScript .pt files, not dydet's safetensors). So the
 * model file travels as the argument {@value DydetModelLoader#MODEL_PATH}; {@link #criteria(Path)} sets it up.
 * (Criteria with {@code optModelPath} work with {@link DydetTranslatorFactory} instead.)
 */
public final class DydetModelZoo extends ModelZoo {
    public static final String GROUP_ID = "io.dydet";

    public DydetModelZoo() {
        addModel(new DydetModelLoader());
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    /** dydet runs on libtorch through DJL's PyTorch engine. */
    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }

    /**
     * Criteria for a dydet model file (or a folder holding one .safetensors file); add arguments such as
     * {@code optArgument("dyThres", 0.3)} or {@code optArgument("easyRatio", 0.6)} before {@code build()}.
     */
    public static Criteria.Builder<Image, DetectedObjects> criteria(Path model) {
        return Criteria.builder()
                .setTypes(Image.class, DetectedObjects.class)
                .optApplication(Application.CV.OBJECT_DETECTION)
                .optGroupId(GROUP_ID)
                .optArtifactId(DydetModelLoader.ARTIFACT_ID)
                .optEngine("PyTorch")
                .optArgument(DydetModelLoader.MODEL_PATH, model.toString());
    }
}
