package io.dydet.infer;

import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import java.nio.file.Path;
import org.opencv.core.Mat;

/**
 * Decoded pixels to the network's input size: detection's letterbox ({@link LetterboxStage}) or evaluation's rect
 * shapes ({@link RectStage}). Images whose {@link #paddedShape} is equal can share a forward pass.
 */
public sealed interface Preprocess permits LetterboxStage, RectStage {
    /** An image as the network takes it: letterboxed pixels (the caller releases them), the letterbox, the original size. */
    record Prepared(Mat padded, Letterbox letterbox, int height, int width) {}

    /** The padded (height, width) an image of this size gets: the key {@link ShapeBatcher} batches by. */
    int[] paddedShape(int height, int width);

    /**
     * The image prepared for the network; {@code bgr} stays the caller's.
     *
     * @throws ImageException when OpenCV cannot resize or pad this image (that image's error, never its batch's)
     */
    Prepared apply(Mat bgr, String label) throws ImageException;

    /** Reads a file and prepares it. */
    default Prepared read(Path file, long pixelLimit) throws ImageException {
        Mat img = Images.read(file, pixelLimit);
        try {
            return apply(img, file.toString());
        } finally {
            img.release();
        }
    }
}
