package io.dydet.demo;

import java.nio.file.Path;

/**
 * What the demo runs: how much synthetic data, the model size, both training steps' lengths and the time budget.
 * The defaults fit a 2-core machine in under 10 minutes; {@link #reduced} is a smoke-test size.
 *
 * @param out            run folder (data, both training runs, the calibrated model, the report)
 * @param images         synthetic images for step 1 and evaluation, a quarter of them validation
 * @param routerImages   more synthetic images, held out from step 1, that step 2 trains the router on (0: step 2 trains
 *                       on step 1's images, as the original)
 * @param imageSize      image side for generation, training and evaluation
 * @param width          width multiple of dy-yolov7
 * @param detectorEpochs training step 1 epochs (both routes)
 * @param route2Epochs   then route 2 alone with route 1 frozen (0: none)
 * @param routerEpochs   training step 2 epochs
 * @param batch          training batch (step 1 and step 2)
 * @param lr0            step-1 learning rate (Adam)
 * @param routerLr0      step-2 learning rate (AdamW; the original's 1e-5 is for COCO's 118k images)
 * @param minutes        time budget: the demo shortens its remaining epochs to fit it ({@link DemoPlan}) and stops only when even
 *                       its smallest plan cannot
 * @param seed           seed of data, initialisation and augmentation: the same seed gives the same results
 */
public record DemoSettings(Path out, int images, int routerImages, int imageSize, double width, int detectorEpochs, int route2Epochs, int routerEpochs, int batch, double lr0,
                           double routerLr0, double minutes, long seed, String device, int workers) {
    public DemoSettings {
        if (images < 8) throw new IllegalArgumentException("the demo needs at least 8 images, got " + images);
        if (routerImages < 0) throw new IllegalArgumentException("--router-images must be >= 0, got " + routerImages);
        if (imageSize < 64 || imageSize % 32 != 0) throw new IllegalArgumentException("--img must be a multiple of 32 and at least 64, got " + imageSize);
        if (detectorEpochs < 1 || routerEpochs < 1 || route2Epochs < 0) throw new IllegalArgumentException("epochs must be >= 1");
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (!(minutes > 0)) throw new IllegalArgumentException("--minutes must be > 0, got " + minutes);
    }

    public static DemoSettings defaults(Path out) {
        return new DemoSettings(out, 240, 80, 128, 0.25, 22, 12, 8, 8, 0.002, 0.001, 10, 0, "cpu", 1);
    }

    /** A few images and steps: every stage and output, in about a minute. */
    public static DemoSettings reduced(Path out) {
        return new DemoSettings(out, 16, 4, 64, 0.25, 1, 1, 1, 4, 0.002, 0.001, 10, 0, "cpu", 1);
    }

    public DemoSettings withMinutes(double m) {
        return new DemoSettings(out, images, routerImages, imageSize, width, detectorEpochs, route2Epochs, routerEpochs, batch, lr0, routerLr0, m, seed, device, workers);
    }
}
