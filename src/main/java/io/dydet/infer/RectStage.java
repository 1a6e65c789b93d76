package io.dydet.infer;

import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import org.opencv.core.CvException;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * test.py's preprocessing: load_image (the long side to the image size, INTER_AREA when shrinking), then a letterbox
 * without upscaling into the image's rect shape, ceil(shape * size / stride + pad) * stride.
 */
public record RectStage(int imageSize, int stride) implements Preprocess {
    /** The original's pad of the rect evaluation shapes. */
    public static final double PAD = 0.5;

    @Override
    public int[] paddedShape(int height, int width) {
        return Letterbox.evalShape(height, width, imageSize, stride, PAD);
    }

    @Override
    public Prepared apply(Mat img, String label) throws ImageException {
        int h0 = img.rows(), w0 = img.cols();
        try {
            double r = (double) imageSize / Math.max(h0, w0);
            Mat resized = img;
            if (r != 1) {
                resized = new Mat();
                int interp = r < 1 ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
                int[] size = Letterbox.loadSize(h0, w0, imageSize); // a side truncating to 0 px stays 1 px
                Imgproc.resize(img, resized, new Size(size[1], size[0]), 0, 0, interp);
            }
            int[] shape = paddedShape(h0, w0);
            Letterbox lb = Letterbox.of(resized.rows(), resized.cols(), shape[0], shape[1], stride, false, false);
            Mat padded = Images.letterbox(resized, lb);
            if (resized != img) resized.release();
            return new Prepared(padded, lb, h0, w0);
        } catch (CvException e) {
            throw new ImageException(label + ": a " + w0 + "x" + h0 + " image cannot be resized for --img " + imageSize
                    + " (" + e.getMessage().strip() + ")");
        }
    }
}
