package io.dydet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Box;
import io.dydet.box.Letterbox;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import io.dydet.testing.TensorAssert;
import io.dydet.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;

/** Decoding and letterboxing equal the original's pixels; bad files are refused by name. */
class ImagesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
        Images.loadOpenCv();
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7-w025, 192, 32", "dy-yolov7x-w025, 128, 32", "dy-yolov7-w6-w025, 128, 64"})
    void letterboxedPixelsAndInputEqualTheGolden(String model, int size, int stride) throws Exception {
        try (Golden g = Golden.open(model);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (String img : List.of("demo", "grace_hopper")) {
                Mat bgr = Images.read(Golden.file("images/" + img + ".png"), Images.DEFAULT_PIXEL_LIMIT);
                Letterbox lb = Letterbox.forDetect(bgr.rows(), bgr.cols(), size, stride);
                var meta = g.meta().at("/inputs/" + img + "/top_bottom_left_right");
                assertArrayEquals(
                        new int[] {
                            meta.get(0).asInt(),
                            meta.get(1).asInt(),
                            meta.get(2).asInt(),
                            meta.get(3).asInt()
                        },
                        new int[] {lb.top(), lb.bottom(), lb.left(), lb.right()},
                        model + " " + img + " padding");
                Mat out = Images.letterbox(bgr, lb);
                NDArray want = g.tensor(m, img + ".letterboxed_bgr_u8");
                byte[] got = new byte[(int) (out.total() * out.channels())];
                out.get(0, 0, got);
                assertArrayEquals(want.toByteArray(), got, model + " " + img + " letterboxed pixels");
                NDArray input = Images.toInput(m, List.of(out));
                TensorAssert.assertClose(model + " " + img + " input", g.input(m, img), input, 0);
            }
        }
    }

    @Test
    void grayscaleAlphaAndSixteenBitDecodeTo8BitBgrAsOpenCvDoes() throws Exception {
        Mat gray = new Mat(5, 7, CvType.CV_8UC1, new Scalar(200));
        Mat rgba = new Mat(5, 7, CvType.CV_8UC4, new Scalar(10, 20, 30, 128));
        Mat deep = new Mat(5, 7, CvType.CV_16UC3, new Scalar(1000, 40000, 65535));
        Imgcodecs.imwrite(dir.resolve("gray.png").toString(), gray);
        Imgcodecs.imwrite(dir.resolve("alpha.png").toString(), rgba);
        Imgcodecs.imwrite(dir.resolve("deep.png").toString(), deep);
        Mat g = Images.read(dir.resolve("gray.png"), Images.DEFAULT_PIXEL_LIMIT);
        Mat a = Images.read(dir.resolve("alpha.png"), Images.DEFAULT_PIXEL_LIMIT);
        Mat d = Images.read(dir.resolve("deep.png"), Images.DEFAULT_PIXEL_LIMIT);
        for (Mat x : List.of(g, a, d)) assertEquals(CvType.CV_8UC3, x.type());
        assertArrayEquals(new double[] {200, 200, 200}, g.get(2, 3));
        assertArrayEquals(new double[] {10, 20, 30}, a.get(2, 3)); // alpha dropped
        assertArrayEquals(new double[] {1000 >> 8, 40000 >> 8, 65535 >> 8}, d.get(2, 3)); // 16 bit scaled by 1/256
    }

    @Test
    void badFilesAreRefusedByName() throws Exception {
        Path empty = Files.write(dir.resolve("empty.jpg"), new byte[0]);
        Path text = Files.writeString(dir.resolve("notes.jpg"), "this is not an image");
        byte[] jpeg = Files.readAllBytes(writeJpeg());
        Path truncated = Files.write(dir.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 2));
        for (Path p : List.of(empty, text, truncated)) {
            ImageException e = assertThrows(ImageException.class, () -> Images.read(p, Images.DEFAULT_PIXEL_LIMIT));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    private Path writeJpeg() {
        Mat m = new Mat(64, 64, CvType.CV_8UC3, new Scalar(30, 120, 200));
        Path p = dir.resolve("ok.jpg");
        Imgcodecs.imwrite(p.toString(), m);
        return p;
    }

    @Test
    void hugeHeaderIsRefusedBeforeDecoding() throws Exception {
        Path p = dir.resolve("huge.png");
        Files.write(p, pngHeader(40000, 40000));
        ImageException e = assertThrows(ImageException.class, () -> Images.read(p, Images.DEFAULT_PIXEL_LIMIT));
        assertTrue(
                e.getMessage().contains("40000x40000") && e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void encodedBytesAreRefusedWithWhatWasWrong() throws Exception {
        byte[] jpeg = Files.readAllBytes(writeJpeg());
        Mat ok = Images.decode(jpeg, "upload", Images.DEFAULT_PIXEL_LIMIT);
        Mat fromFile = Images.read(writeJpeg(), Images.DEFAULT_PIXEL_LIMIT);
        assertEquals(0, Core.norm(ok, fromFile, Core.NORM_INF), 0, "bytes decode as the file does");
        ok.release();
        fromFile.release();
        record Case(byte[] bytes, ImageException.Kind kind, String says) {}
        for (Case c : List.of(
                new Case(new byte[0], ImageException.Kind.EMPTY, "empty"),
                new Case("this is not an image".getBytes(), ImageException.Kind.UNSUPPORTED, "text \"this is "),
                new Case(
                        new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8},
                        ImageException.Kind.UNSUPPORTED,
                        "bytes 0001020304050607"),
                new Case(java.util.Arrays.copyOf(jpeg, jpeg.length / 2), ImageException.Kind.CORRUPT, "truncated"),
                new Case(pngHeader(40000, 40000), ImageException.Kind.TOO_LARGE, "40000x40000"),
                new Case(pngHeader(64, 64), ImageException.Kind.CORRUPT, "PNG header"))) {
            ImageException e = assertThrows(
                    ImageException.class, () -> Images.decode(c.bytes(), "upload-7", Images.DEFAULT_PIXEL_LIMIT));
            assertEquals(c.kind(), e.kind(), e.getMessage());
            assertTrue(e.getMessage().startsWith("upload-7: ") && e.getMessage().contains(c.says()), e.getMessage());
        }
        assertEquals(
                ImageException.Kind.TOO_LARGE,
                assertThrows(ImageException.class, () -> Images.decode(jpeg, "small-limit", 1000))
                        .kind(),
                "64x64 over a 1000-pixel limit");
    }

    static byte[] pngHeader(int w, int h) throws Exception {
        return io.dydet.testing.TestImages.pngHeader(w, h);
    }

    @Test
    void evalShapeOfASquareImageAt640Is672() {
        assertArrayEquals(new int[] {672, 672}, Letterbox.evalShape(640, 640, 640, 32, 0.5));
    }

    /** A side that rounds to 0 px is 1 px: OpenCV resizes the image, and boxes still map back by the true ratio. */
    @ParameterizedTest
    @CsvSource({"2000, 1, 192", "1, 2000, 192", "600, 1, 256", "20000, 1, 640", "1, 1, 256"})
    void thinImagesLetterboxToAtLeastOnePixelAndMapBack(int w, int h, int size) throws Exception {
        Path file = TestImages.png(dir, "thin", w, h);
        Mat bgr = Images.read(file, Images.DEFAULT_PIXEL_LIMIT);
        Letterbox lb = Letterbox.forDetect(h, w, size, 32);
        Mat padded = Images.letterbox(bgr, lb);
        try {
            assertEquals(size, Math.max(lb.resizedWidth(), lb.resizedHeight()));
            assertEquals(
                    Math.max(1, (int) Math.rint((double) Math.min(w, h) * size / Math.max(w, h))),
                    Math.min(lb.resizedWidth(), lb.resizedHeight()));
            assertEquals(lb.paddedHeight(), padded.rows());
            assertEquals(lb.paddedWidth(), padded.cols());
            assertEquals(0, padded.rows() % 32);
            assertEquals(0, padded.cols() % 32);
            // the whole padded input maps back onto the whole original, a point in the middle to the middle
            Box all = lb.toOriginal(new Box(0, 0, lb.paddedWidth(), lb.paddedHeight()));
            double tol = Math.max(w, h) * 1e-6;
            assertArrayEquals(
                    new float[] {0, 0, w, h}, new float[] {all.x1(), all.y1(), all.x2(), all.y2()}, (float) tol);
            Box mid = lb.toOriginal(new Box(
                    lb.paddedWidth() / 2f, lb.paddedHeight() / 2f, lb.paddedWidth() / 2f, lb.paddedHeight() / 2f));
            assertEquals(w / 2.0, mid.x1(), w * 1e-3);
            assertEquals(h / 2.0, mid.y1(), h * 1e-3 + 1e-3);
        } finally {
            padded.release();
            bgr.release();
        }
    }

    @Test
    void loadSizeKeepsAThinSideAtOnePixelAndItsGainIsTheOtherSides() {
        // the evaluation path's load_image: long side to the size, the other truncated
        assertArrayEquals(new int[] {240, 320}, Letterbox.loadSize(480, 640, 320));
        assertEquals(0.5, Letterbox.loadGain(480, 640, 320));
        assertArrayEquals(new int[] {255, 256}, Letterbox.loadSize(511, 512, 256));
        assertEquals(255.0 / 511, Letterbox.loadGain(511, 512, 256), "the height's ratio, as the original's ratio_pad");
        // 600x1 at 256: the height truncates to 0 px; it is 1 px and boxes map back by the width's ratio
        assertArrayEquals(new int[] {1, 256}, Letterbox.loadSize(1, 600, 256));
        assertEquals(256.0 / 600, Letterbox.loadGain(1, 600, 256), 1e-12);
        assertArrayEquals(new int[] {256, 1}, Letterbox.loadSize(600, 1, 256));
        assertEquals(256.0 / 600, Letterbox.loadGain(600, 1, 256), 1e-12);
        assertArrayEquals(new int[] {256, 256}, Letterbox.loadSize(1, 1, 256));
        assertEquals(256.0, Letterbox.loadGain(1, 1, 256));
    }
}
