package io.dydet.data.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.box.Letterbox;
import io.dydet.data.Hyperparameters;
import io.dydet.data.Images;
import io.dydet.data.YoloLabels;
import io.dydet.testing.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;

class TrainAugmentationTest {
    static final int S = 256;

    @TempDir
    static Path dir;

    static TrainingSet set;

    @BeforeAll
    static void open() throws IOException {
        Images.loadOpenCv();
        set = TrainingSet.open(Fixtures.copy(dir, 12), 80, null);
    }

    static Hyperparameters allOff() throws IOException {
        Map<String, Double> zero = new java.util.LinkedHashMap<>();
        for (String k : List.of(
                "hsv_h",
                "hsv_s",
                "hsv_v",
                "degrees",
                "translate",
                "scale",
                "shear",
                "perspective",
                "flipud",
                "fliplr",
                "mosaic",
                "mixup",
                "copy_paste",
                "paste_in")) zero.put(k, 0.0);
        return Hyperparameters.scratchP5().with(zero);
    }

    static byte[] bytes(Mat m) {
        byte[] b = new byte[(int) (m.total() * m.channels())];
        m.get(0, 0, b);
        return b;
    }

    @Test
    void letterboxOnlySampleMapsTheLabelsExactly() throws IOException {
        TrainAugmentation aug = new TrainAugmentation(set, allOff(), S, false);
        for (int i = 0; i < 3; i++) {
            LabelledImage im = set.get(i);
            TrainAugmentation.Sample s = aug.sample(42, 0, i);
            assertEquals(S, s.image().rows());
            assertEquals(S, s.image().cols());
            // load_image: long side -> S (truncated), then letterbox S x S without scaling, centred
            double r = (double) S / Math.max(im.height(), im.width());
            int h = (int) (im.height() * r), w = (int) (im.width() * r);
            Letterbox lb = Letterbox.of(h, w, S, S, 32, false, false);
            assertEquals(1.0, lb.ratio());
            assertEquals(im.objects(), s.labels().length);
            for (int k = 0; k < im.objects(); k++) {
                float[] o = im.labels()[k], got = s.labels()[k];
                assertEquals(o[0], got[0]);
                assertEquals((o[1] * w + lb.padX()) / S, got[1], 1e-4);
                assertEquals((o[2] * h + lb.padY()) / S, got[2], 1e-4);
                assertEquals(o[3] * w / S, got[3], 1e-4);
                assertEquals(o[4] * h / S, got[4], 1e-4);
            }
            // padding is grey 114
            if (lb.top() > 0)
                assertArrayEquals(new double[] {114, 114, 114}, s.image().get(0, S / 2));
            if (lb.left() > 0)
                assertArrayEquals(new double[] {114, 114, 114}, s.image().get(S / 2, 0));
            s.image().release();
        }
    }

    /**
     * Issue 20: a 20000x10 training image passes the 10 px check but its height truncates to 0 px at 256; it loads
     * 1 px high (OpenCV refused a 0 px resize) and its label maps onto that row.
     */
    @Test
    void aThinTrainingImageLoadsOnePixelHighWithItsLabel(@TempDir Path thin) throws IOException {
        Path images = Files.createDirectories(thin.resolve("images/train"));
        Files.createDirectories(thin.resolve("labels/train"));
        Path img = TestImages.png(images, "thin", 20000, 10);
        Files.writeString(thin.resolve("labels/train/thin_20000x10.txt"), "3 0.5 0.5 0.5 1\n");
        TrainingSet one = TrainingSet.open(List.of(img), 80, null);
        assertEquals(1, one.size());
        TrainAugmentation aug = new TrainAugmentation(one, allOff(), S, false);
        TrainAugmentation.Loaded loaded = aug.loadImage(0);
        assertEquals(1, loaded.image().rows());
        assertEquals(S, loaded.image().cols());
        loaded.image().release();
        TrainAugmentation.Sample s = aug.sample(42, 0, 0);
        assertEquals(S, s.image().rows());
        assertEquals(S, s.image().cols());
        assertEquals(1, s.labels().length);
        assertArrayEquals(new float[] {3, 0.5f, 0.5f, 0.5f, 1f / S}, s.labels()[0], 1e-6f);
        s.image().release();
        // the mosaic path loads it the same way
        TrainAugmentation.Sample m = new TrainAugmentation(one, Hyperparameters.scratchP5(), S, true).sample(42, 0, 0);
        assertEquals(S, m.image().rows());
        assertEquals(S, m.image().cols());
        m.image().release();
    }

    @Test
    void identityPerspectiveLeavesPixelsAndBoxesUnchanged() {
        Mat img = new Mat(100, 120, CvType.CV_8UC3);
        Core.randu(img, 0, 256);
        byte[] before = bytes(img);
        List<Target> t = new ArrayList<>(List.of(
                new Target(3, 10.5, 20, 60, 90, null),
                new Target(1, 0, 0, 50, 40, new double[] {0, 0, 50, 0, 50, 40, 0, 40})));
        Mat out = RandomPerspective.apply(img, t, RandomPerspective.Params.IDENTITY, 0);
        assertArrayEquals(before, bytes(out));
        assertEquals(2, t.size());
        assertArrayEquals(
                new double[] {10.5, 20, 60, 90},
                new double[] {t.get(0).x1, t.get(0).y1, t.get(0).x2, t.get(0).y2},
                1e-9);
        assertArrayEquals(
                new double[] {0, 0, 50, 40}, new double[] {t.get(1).x1, t.get(1).y1, t.get(1).x2, t.get(1).y2}, 1e-9);
        out.release();
    }

    @Test
    void translationAndScaleMoveBoxesAndPixelsTogether() {
        Mat img = new Mat(100, 100, CvType.CV_8UC3, new Scalar(0, 0, 0));
        img.submat(20, 40, 30, 60).setTo(new Scalar(255, 255, 255));
        List<Target> t = new ArrayList<>(List.of(new Target(0, 30, 20, 60, 40, null)));
        // scale 2 about the centre, then shifted by +10 px in x
        RandomPerspective.Params p = new RandomPerspective.Params(0, 0, 0, 2, 0, 0, 0.6, 0.5);
        Mat out = RandomPerspective.apply(img.clone(), t, p, 0);
        Target b = t.get(0);
        // x: (30-50)*2+50+10 = 20, (60-50)*2+60 = 80; y: (20-50)*2+50 = -10 -> clipped 0, (40-50)*2+50 = 30
        assertEquals(20, b.x1, 1e-9);
        assertEquals(80, b.x2, 1e-9);
        assertEquals(0, b.y1, 1e-9);
        assertEquals(30, b.y2, 1e-9);
        assertEquals(255, out.get(15, 50)[0]); // inside the moved white block
        assertEquals(0, out.get(15, 85)[0]); // right of it
        out.release();
        // a pure shift of +20 px leaves the first 20 columns without source: border grey 114
        List<Target> t2 = new ArrayList<>(List.of(new Target(0, 30, 20, 60, 40, null)));
        Mat shifted = RandomPerspective.apply(img, t2, new RandomPerspective.Params(0, 0, 0, 1, 0, 0, 0.7, 0.5), 0);
        assertEquals(114, shifted.get(50, 5)[0]);
        assertEquals(255, shifted.get(30, 60)[0]);
        assertEquals(50, t2.get(0).x1, 1e-9);
        assertEquals(20, t2.get(0).y1, 1e-9);
        shifted.release();
    }

    @Test
    void boxCandidateRules() {
        assertTrue(RandomPerspective.isCandidate(10, 10, 10, 10, 0.1));
        assertFalse(RandomPerspective.isCandidate(10, 10, 2, 10, 0.1), "width must exceed 2 px");
        assertFalse(RandomPerspective.isCandidate(10, 10, 10, 2, 0.1), "height must exceed 2 px");
        assertTrue(RandomPerspective.isCandidate(10, 10, 3, 4, 0.1)); // 12% of the area
        assertFalse(RandomPerspective.isCandidate(10, 10, 3, 3, 0.1), "9% of the area is too little");
        assertTrue(RandomPerspective.isCandidate(10, 10, 3, 3, 0.01), "enough with polygons (1%)");
        assertFalse(RandomPerspective.isCandidate(100, 100, 100, 5, 0.01), "aspect 20 is too thin");
        assertTrue(RandomPerspective.isCandidate(100, 100, 99, 5, 0.01));
    }

    @Test
    void flipLeftRightMirrorsPixelsAndCentres() {
        Mat img = new Mat(4, 6, CvType.CV_8UC3);
        Core.randu(img, 0, 256);
        Mat orig = img.clone();
        float[][] labels = {{1, 0.25f, 0.4f, 0.1f, 0.2f}};
        TrainAugmentation.flipLeftRight(img, labels);
        assertEquals(0.75f, labels[0][1], 1e-7);
        assertEquals(0.4f, labels[0][2]);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 6; x++) assertArrayEquals(orig.get(y, 5 - x), img.get(y, x));
        TrainAugmentation.flipUpDown(img, labels);
        assertEquals(0.6f, labels[0][2], 1e-7);
        assertArrayEquals(orig.get(0, 5), img.get(3, 0));
    }

    @Test
    void hsvWithZeroGainsIsTheIdentityAndOtherwiseChangesColours() {
        Mat img = new Mat(32, 32, CvType.CV_8UC3);
        Core.randu(img, 0, 256);
        byte[] before = bytes(img);
        double[] g = HsvJitter.drawGains(new SplittableRandom(1), 0, 0, 0);
        assertArrayEquals(new double[] {1, 1, 1}, g);
        HsvJitter.apply(img, g);
        assertArrayEquals(before, bytes(img));
        // value gain 0.5: V halves, so the brightest channel of each pixel halves (truncated, +-1 through HSV)
        Mat grey = new Mat(2, 2, CvType.CV_8UC3, new Scalar(200, 200, 200));
        HsvJitter.apply(grey, new double[] {1, 1, 0.5});
        assertEquals(100, grey.get(0, 0)[0], 1);
    }

    @Test
    void sameSeedSameSampleDifferentSeedDifferentSample() {
        TrainAugmentation aug = new TrainAugmentation(set, Hyperparameters.scratchP5(), S, true);
        TrainAugmentation.Sample a = aug.sample(7, 3, 5), b = aug.sample(7, 3, 5), c = aug.sample(8, 3, 5);
        assertArrayEquals(bytes(a.image()), bytes(b.image()));
        assertTrue(Arrays.deepEquals(a.labels(), b.labels()));
        assertFalse(Arrays.equals(bytes(a.image()), bytes(c.image())));
        a.image().release();
        b.image().release();
        c.image().release();
    }

    @Test
    void mosaicSamplesAreSquareWithLabelsInside() throws IOException {
        Hyperparameters hyp = Hyperparameters.scratchP5().with(Map.of("mixup", 0.5));
        TrainAugmentation aug = new TrainAugmentation(set, hyp, S, true);
        int labelled = 0;
        for (int i = 0; i < 12; i++) {
            TrainAugmentation.Sample s = aug.sample(11, 0, i);
            assertEquals(S, s.image().rows());
            assertEquals(S, s.image().cols());
            assertEquals(CvType.CV_8UC3, s.image().type());
            for (float[] l : s.labels()) {
                assertTrue(l[0] >= 0 && l[0] < 80);
                assertTrue(l[3] > 0 && l[4] > 0, Arrays.toString(l));
                assertTrue(l[1] - l[3] / 2 >= -1e-5 && l[1] + l[3] / 2 <= 1 + 1e-5, Arrays.toString(l));
                assertTrue(l[2] - l[4] / 2 >= -1e-5 && l[2] + l[4] / 2 <= 1 + 1e-5, Arrays.toString(l));
            }
            labelled += s.labels().length;
            s.image().release();
        }
        assertTrue(labelled > 0);
    }

    @Test
    void fourAndNineMosaicCanvasesKeepTheirLabelsOnTheCanvas() {
        TrainAugmentation aug = new TrainAugmentation(set, Hyperparameters.scratchP5(), S, true);
        for (Mosaic.Canvas c :
                List.of(Mosaic.four(aug, 0, new SplittableRandom(3)), Mosaic.nine(aug, 1, new SplittableRandom(4)))) {
            assertEquals(2 * S, c.image().rows());
            assertEquals(2 * S, c.image().cols());
            for (Target t : c.targets())
                assertTrue(t.x1 >= 0 && t.x2 <= 2 * S && t.y1 >= 0 && t.y2 <= 2 * S && t.x1 <= t.x2);
            c.image().release();
        }
    }

    @Test
    void pasteInWithPolygonsAddsBoxesInside(@TempDir Path seg) throws IOException {
        List<Path> images = Fixtures.copy(seg, 4);
        for (Path p : images) {
            // a diamond polygon per image
            Files.writeString(
                    YoloLabels.labelPathFor(p),
                    "17 0.5 0.2 0.8 0.5 0.5 0.8 0.2 0.5\n3 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4\n");
        }
        TrainingSet polygons = TrainingSet.open(images, 80, null);
        Hyperparameters hyp = Hyperparameters.scratchP5().with(Map.of("paste_in", 1.0, "mixup", 0.0));
        TrainAugmentation aug = new TrainAugmentation(polygons, hyp, S, true);
        int pasted = 0;
        for (int i = 0; i < 4; i++) {
            TrainAugmentation.Sample s = aug.sample(5, 0, i);
            for (float[] l : s.labels()) {
                assertTrue(
                        l[3] > 0 && l[4] > 0 && l[1] - l[3] / 2 >= -1e-5 && l[1] + l[3] / 2 <= 1 + 1e-5,
                        Arrays.toString(l));
                assertTrue(l[0] == 17 || l[0] == 3);
            }
            pasted += s.labels().length;
            s.image().release();
        }
        assertTrue(pasted > 0);
        // the crops are cut through the polygon mask
        Mosaic.Canvas c = Mosaic.four(aug, 0, new SplittableRandom(9));
        List<PasteIn.Crop> crops = PasteIn.cut(c, new SplittableRandom(2));
        assertFalse(crops.isEmpty());
        PasteIn.Crop k = crops.get(0);
        assertEquals(0, k.mask().get(0, 0)[0], "diamond corner outside the polygon");
        assertEquals(255, k.mask().get(k.mask().rows() / 2, k.mask().cols() / 2)[0]);
        crops.forEach(PasteIn.Crop::release);
        c.image().release();
    }

    @Test
    void polygonResamplingIsClosedAndLinear() {
        double[] r = RandomPerspective.resample(new double[] {0, 0, 10, 0, 10, 10}, 7);
        // closed triangle of perimeter points 0..3 over 7 samples: positions 0, .5, 1, 1.5, 2, 2.5, 3
        assertArrayEquals(new double[] {0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 5, 0, 0}, r, 1e-12);
    }

    @Test
    void betaEightEightHasItsMeanAndVariance() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 20000;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double x = BetaDistribution.sample(rnd, 8, 8);
            assertTrue(x > 0 && x < 1);
            sum += x;
            sq += x * x;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        assertEquals(0.5, mean, 0.005);
        assertEquals(1.0 / 68, var, 0.001); // ab / ((a+b)^2 (a+b+1))
    }
}
