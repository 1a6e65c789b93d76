package io.dydet.djl;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import io.dydet.infer.Detector;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * For criteria that name the file with {@code optModelPath}: DJL then loads through its own BaseModelLoader and the
 * PyTorch engine, which reads only TorchScript, so the criteria must also give the pass-through block and no
 * parameter file ({@code optBlock(DydetTranslator.passThrough()).optOption("hasParameter", "false")}); this factory
 * then opens the dydet file the model path names. Arguments as {@link DydetModelLoader}'s.
 */
public final class DydetTranslatorFactory implements TranslatorFactory {
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return Set.of(new Pair<>(Image.class, DetectedObjects.class));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (!isSupported(input, output))
            throw new IllegalArgumentException(
                    "dydet gives DetectedObjects for an Image, not " + output + " for " + input);
        Path dir = model.getModelPath();
        Path named = dir.resolve(model.getName());
        try {
            Path file = Files.isRegularFile(named)
                    ? named
                    : Files.isRegularFile(dir.resolve(model.getName() + ".safetensors"))
                            ? dir.resolve(model.getName() + ".safetensors")
                            : DydetModelLoader.modelFile(dir);
            Detector detector;
            try {
                detector = DydetModelLoader.detector(
                        file, arguments, model.getNDManager().getDevice());
            } catch (Exception e) {
                throw new TranslateException(file + ": not a dydet model file (" + e.getMessage() + ")", e);
            }
            // the detector's weights live outside the model's manager: closed with it
            model.getNDManager().attachInternal(UUID.randomUUID().toString(), detector);
            return (Translator<I, O>) new DydetTranslator(detector);
        } catch (java.io.IOException e) {
            throw new TranslateException(e.getMessage(), e);
        }
    }
}
