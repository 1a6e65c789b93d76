package io.dydet.djl;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.BoundingBox;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import io.dydet.data.Images;
import io.dydet.infer.DetectSettings;
import io.dydet.infer.Detection;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgproc.Imgproc;

/**
 * DJL {@code Image} in, {@code DetectedObjects} out, through a dydet {@link Detector}: letterbox, per-image routing,
 * NMS and box mapping are dydet's own (design.md, The data's path), so the whole detection runs here and the DJL
 * model's block is a pass-through ({@link #passThrough()}). Usable with any DJL model holding that block:
 * {@code model.newPredictor(new DydetTranslator(detector))}.
 *
 * <p>Output as DJL's detectors give it: class names from the model file, probabilities = detection confidences
 * (objectness x class probability), boxes as {@link Rectangle}s (x, y, width, height) in normalised [0, 1]
 * coordinates of the input image (pixels divided by its width and height), in descending confidence.
 *
 * <p>Not batchified: the detector batches images of one letterboxed shape itself, and a DJL batch needs one shape.
 */
public final class DydetTranslator implements NoBatchifyTranslator<Image, DetectedObjects> {
    /**
     * The DJL block of a dydet model: the detection runs in the translator, so the block hands its input on. A new
     * one per model, as blocks keep per-model state (shapes, initialisation).
     */
    public static ai.djl.nn.Block passThrough() {
        return new ai.djl.nn.LambdaBlock(x -> x, "dydet");
    }

    private static final String RESULT = "dydet.result";

    private final Detector detector;
    private final DetectSettings settings;

    /** With the detector's own settings (router threshold, confidence, IoU). */
    public DydetTranslator(Detector detector) {
        this(detector, detector.defaults());
    }

    public DydetTranslator(Detector detector, DetectSettings settings) {
        this.detector = Objects.requireNonNull(detector, "detector");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public Detector detector() {
        return detector;
    }

    public DetectSettings settings() {
        return settings;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) throws TranslateException {
        Mat bgr = toBgr(ctx.getNDManager(), input);
        try {
            ImageDetections r = detector.detectDecoded(List.of(bgr), List.of("image"), List.of(settings))
                    .get(0);
            if (!r.ok()) throw new TranslateException(r.error());
            ctx.setAttachment(RESULT, r);
        } finally {
            bgr.release();
        }
        return new NDList();
    }

    @Override
    public DetectedObjects processOutput(TranslatorContext ctx, NDList list) {
        return toDetectedObjects((ImageDetections) ctx.getAttachment(RESULT));
    }

    /** Boxes normalised by the image's width and height, as DJL's detectors give them. */
    public static DetectedObjects toDetectedObjects(ImageDetections r) {
        List<String> names = new ArrayList<>();
        List<Double> probs = new ArrayList<>();
        List<BoundingBox> boxes = new ArrayList<>();
        double w = r.width(), h = r.height();
        for (Detection d : r.detections()) {
            names.add(d.className());
            probs.add((double) d.confidence());
            boxes.add(new Rectangle(
                    d.box().x1() / w,
                    d.box().y1() / h,
                    d.box().width() / w,
                    d.box().height() / h));
        }
        return new DetectedObjects(names, probs, boxes);
    }

    /**
     * The image as the 8-bit BGR Mat dydet decodes files into (data.Images, OpenCV's layout). DJL's images, whether
     * BufferedImage- or OpenCV-backed, give RGB HWC UINT8 through toNDArray(COLOR), so one path serves both.
     */
    public static Mat toBgr(NDManager manager, Image image) {
        Images.loadOpenCv();
        int h = image.getHeight(), w = image.getWidth();
        byte[] rgb;
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = image.toNDArray(scope, Image.Flag.COLOR);
            if (a.getDataType() != DataType.UINT8) a = a.toType(DataType.UINT8, false);
            rgb = a.toByteArray();
        }
        if (rgb.length != (long) h * w * 3)
            throw new IllegalArgumentException("image gave " + rgb.length + " bytes for " + w + "x" + h + " RGB");
        Mat mat = new Mat(h, w, CvType.CV_8UC3);
        mat.put(0, 0, rgb);
        Imgproc.cvtColor(mat, mat, Imgproc.COLOR_RGB2BGR);
        return mat;
    }
}
