package io.dydet.djl;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.repository.zoo.ZooModel;

/** A ZooModel that also closes the dydet detector (its weights live outside the DJL model's manager). */
final class DydetZooModel extends ZooModel<Image, DetectedObjects> {
    private final DydetTranslator translator;

    DydetZooModel(Model model, DydetTranslator translator) {
        super(model, translator);
        this.translator = translator;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            translator.detector().close();
        }
    }
}
