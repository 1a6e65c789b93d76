package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import java.util.List;
import org.opencv.core.CvException;
import org.opencv.core.Mat;

/** detect.py's preprocessing: the long side to the image size, padded to a multiple of the largest stride. */
public record LetterboxStage(int imageSize, int stride) implements Preprocess {
    public Letterbox letterbox(int height, int width) {
        return Letterbox.forDetect(height, width, imageSize, stride);
    }

    /** The network input (1, 3, H, W) for one image, in {@code manager}. */
    public NDArray input(NDManager manager, Mat bgr) {
        Mat padded = Images.letterbox(bgr, letterbox(bgr.rows(), bgr.cols()));
        try {
            return Images.toInput(manager, List.of(padded));
        } finally {
            padded.release();
        }
    }

    @Override
    public int[] paddedShape(int height, int width) {
        Letterbox lb = letterbox(height, width);
        return new int[] {lb.paddedHeight(), lb.paddedWidth()};
    }

    @Override
    public Prepared apply(Mat bgr, String label) throws ImageException {
        Letterbox lb = letterbox(bgr.rows(), bgr.cols());
        try {
            return new Prepared(Images.letterbox(bgr, lb), lb, bgr.rows(), bgr.cols());
        } catch (CvException e) {
            throw new ImageException(
                    label + ": a " + bgr.cols() + "x" + bgr.rows() + " image cannot be letterboxed for --img "
                            + imageSize + " (" + e.getMessage().strip() + ")");
        }
    }
}
