package io.dydet.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.dydet.engine.Engines;
import io.dydet.infer.Detection;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import io.dydet.model.ClassNames;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ThresholdTable;
import io.dydet.testing.Golden;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DJL users load a dydet model file through Criteria and get what Detector.detect gives, as DetectedObjects. */
class DjlInteropTest {
    static final int SIZE = 192;

    @TempDir
    static Path dir;

    static Path model;

    /** The golden trained weights as a dydet model file (definition, COCO names, size, a calibration table). */
    @BeforeAll
    static void modelFile() throws Exception {
        Engines.start(2);
        model = dir.resolve("w025.safetensors");
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel net = g.model(m.newSubManager());
            float[] scores = {0.50f, 0.51f, 0.52f, 0.53f, 0.54f, 0.55f};
            double[] g1 = {0.6, 0.6, 0.6, 0.6, 0.6, 0.6}, g2 = {1.1, 1.1, 1.1, 1.1, 1.1, 1.1};
            ModelArtifact a = new ModelArtifact(
                            "dy-yolov7-w025",
                            g.spec().toYaml(),
                            ClassNames.COCO,
                            SIZE,
                            net.network().strides(),
                            null,
                            Map.of())
                    .withCalibration(ThresholdTable.fromScores(scores, g1, g2, SIZE, "test"));
            ModelFiles.save(model, net, a);
        }
    }

    /** Same rows in the same order: class, score, box divided by the image's width and height. */
    static void assertSame(ImageDetections want, DetectedObjects got, String what) {
        assertEquals(want.detections().size(), got.getNumberOfObjects(), what + ": " + got);
        for (int i = 0; i < got.getNumberOfObjects(); i++) {
            Detection d = want.detections().get(i);
            DetectedObjects.DetectedObject o = got.item(i);
            assertEquals(d.className(), o.getClassName(), what + " row " + i);
            assertEquals(d.confidence(), o.getProbability(), 1e-6, what + " row " + i);
            Rectangle r = o.getBoundingBox().getBounds();
            double w = want.width(), h = want.height();
            assertEquals(d.box().x1() / w, r.getX(), 1e-6, what + " x row " + i);
            assertEquals(d.box().y1() / h, r.getY(), 1e-6, what + " y row " + i);
            assertEquals(d.box().width() / w, r.getWidth(), 1e-6, what + " w row " + i);
            assertEquals(d.box().height() / h, r.getHeight(), 1e-6, what + " h row " + i);
            assertTrue(
                    r.getX() >= 0
                            && r.getY() >= 0
                            && r.getX() + r.getWidth() <= 1 + 1e-6
                            && r.getY() + r.getHeight() <= 1 + 1e-6,
                    what + " normalised " + r);
        }
    }

    @Test
    void criteriaFindTheDydetZooAndPredictWhatTheDetectorDetects() throws Exception {
        int rows = 0;
        for (float thres : new float[] {0f, 1f}) { // every image on route 1, then on route 2
            // the DJL user's form: no group id, the zoo is found through ServiceLoader among all registered zoos
            Criteria<Image, DetectedObjects> c = Criteria.builder()
                    .setTypes(Image.class, DetectedObjects.class)
                    .optEngine("PyTorch")
                    .optArgument("modelPath", model.toString())
                    .optArgument("dyThres", thres)
                    .optArgument("confidence", 0.2)
                    .build();
            try (ZooModel<Image, DetectedObjects> zm = c.loadModel();
                    Predictor<Image, DetectedObjects> p = zm.newPredictor();
                    Detector d = Detector.builder()
                            .weights(model)
                            .routerThreshold(thres)
                            .confidence(0.2f)
                            .build()) {
                assertEquals(String.valueOf(SIZE), zm.getProperty("dydet.imageSize"));
                for (String name : List.of("demo", "grace_hopper")) {
                    Path file = Golden.file("images/" + name + ".png");
                    ImageDetections want = d.detect(file);
                    DetectedObjects got = p.predict(ImageFactory.getInstance().fromFile(file));
                    assertSame(want, got, name + " at " + thres);
                    rows += got.getNumberOfObjects();
                }
            }
        }
        assertTrue(rows > 0, "the golden weights find objects in the golden images");
    }

    @Test
    void theTranslatorWorksWithAUsersOwnModelAndTheHelperAppliesEasyRatio() throws Exception {
        Path file = Golden.file("images/grace_hopper.png");
        try (ZooModel<Image, DetectedObjects> zm = DydetModelZoo.criteria(dir)
                        .optArgument("easyRatio", 0.5)
                        .build()
                        .loadModel();
                Detector d = Detector.builder().weights(model).easyRatio(0.5).build()) {
            assertEquals(String.valueOf(d.routerThreshold()), zm.getProperty("dydet.routerThreshold"));
            try (Model own = Model.newInstance("own", Device.cpu(), "PyTorch")) {
                own.setBlock(DydetTranslator.passThrough());
                try (Predictor<Image, DetectedObjects> p = own.newPredictor(new DydetTranslator(d))) {
                    assertSame(
                            d.detect(file), p.predict(ImageFactory.getInstance().fromFile(file)), "own predictor");
                }
            }
            try (Predictor<Image, DetectedObjects> p = zm.newPredictor()) {
                assertSame(d.detect(file), p.predict(ImageFactory.getInstance().fromFile(file)), "helper criteria");
            }
        }
    }

    @Test
    void optModelPathWorksWithTheTranslatorFactory() throws Exception {
        Path file = Golden.file("images/demo.png");
        Criteria<Image, DetectedObjects> c = Criteria.builder()
                .setTypes(Image.class, DetectedObjects.class)
                .optModelPath(model)
                .optEngine("PyTorch")
                .optTranslatorFactory(new DydetTranslatorFactory())
                .optBlock(DydetTranslator.passThrough())
                .optOption("hasParameter", "false")
                .optArgument("dyThres", 1f)
                .build();
        try (ZooModel<Image, DetectedObjects> zm = c.loadModel();
                Predictor<Image, DetectedObjects> p = zm.newPredictor();
                Detector d =
                        Detector.builder().weights(model).routerThreshold(1f).build()) {
            assertSame(d.detect(file), p.predict(ImageFactory.getInstance().fromFile(file)), "optModelPath");
        }
    }

    @Test
    void aWrongPathOrFileIsNamedInTheError() throws Exception {
        Path missing = dir.resolve("nope.safetensors");
        Exception e = assertThrows(
                FileNotFoundException.class,
                () -> DydetModelZoo.criteria(missing).build().loadModel());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(
                FileNotFoundException.class,
                () -> DydetModelZoo.criteria(empty).build().loadModel());
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("none"), e.getMessage());

        // in a folder of its own: the easy-ratio test finds the model file as the one .safetensors file in dir
        Path junk = Files.writeString(
                Files.createDirectories(dir.resolve("junk")).resolve("junk.safetensors"), "not a model");
        e = assertThrows(
                MalformedModelException.class,
                () -> DydetModelZoo.criteria(junk).build().loadModel());
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
