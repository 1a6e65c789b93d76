package io.dydet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dydet.box.Letterbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Image decoding and the network input, as the original does them with OpenCV: decode to 8-bit BGR (cv2.imread),
 * letterbox (resize, constant border 114), then RGB, CHW, float32 / 255.
 */
public final class Images {
    /** Images with more pixels are refused before decoding. */
    public static final long DEFAULT_PIXEL_LIMIT = 100_000_000L;
    private static volatile boolean loaded;

    private Images() {}

    /** Loads OpenCV's natives (bundled in the openpnp jar) once. */
    public static void loadOpenCv() {
        if (!loaded) {
            synchronized (Images.class) {
                if (!loaded) {
                    nu.pattern.OpenCV.loadLocally();
                    loaded = true;
                }
            }
        }
    }

    /**
     * Decodes an image file to 8-bit BGR exactly as cv2.imread(path) does (grayscale to 3 channels, alpha dropped,
     * 16 bit scaled to 8). The header's size is checked against {@code pixelLimit} before any pixel is decoded.
     */
    public static Mat read(Path file, long pixelLimit) throws ImageException {
        loadOpenCv();
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (size == 0) throw new ImageException(file + ": empty file (0 bytes)");
        int[] hw = headerSize(file);
        if (hw != null && (long) hw[0] * hw[1] > pixelLimit) {
            throw new ImageException(file + ": " + hw[1] + "x" + hw[0] + " pixels exceeds the limit of " + pixelLimit + " pixels");
        }
        checkJpegComplete(file);
        Mat m = Imgcodecs.imread(file.toString(), Imgcodecs.IMREAD_COLOR);
        if (m.empty()) {
            m.release();
            throw new ImageException(file + ": not a decodable image (corrupt, or a format OpenCV cannot read)");
        }
        if ((long) m.rows() * m.cols() > pixelLimit) {
            m.release();
            throw new ImageException(file + ": more than " + pixelLimit + " pixels");
        }
        return m;
    }

    /** Height and width from the header without decoding, or null when ImageIO cannot tell. */
    public static int[] headerDims(Path file) {
        return headerSize(file);
    }

    /** Height and width from the header without decoding, or null when ImageIO does not know the format. */
    static int[] headerSize(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) return null;
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return null;
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                return new int[] {r.getHeight(0), r.getWidth(0)};
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null; // let the decoder judge the file
        }
    }

    /** libjpeg decodes a truncated JPEG into a partly grey image without an error; refuse it instead. */
    private static void checkJpegComplete(Path file) throws ImageException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            ByteBuffer head = ByteBuffer.allocate(2);
            ch.read(head);
            if (head.position() < 2 || (head.get(0) & 0xff) != 0xFF || (head.get(1) & 0xff) != 0xD8) return;
            long n = ch.size();
            int tail = (int) Math.min(n, 4096);
            ByteBuffer end = ByteBuffer.allocate(tail);
            ch.position(n - tail);
            while (end.hasRemaining() && ch.read(end) > 0) {
                // read the tail
            }
            byte[] b = end.array();
            for (int i = b.length - 2; i >= 0; i--) {
                if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) return;
            }
            throw new ImageException(file + ": corrupt JPEG (truncated: no end-of-image marker)");
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Decodes image bytes (e.g. an HTTP body) like {@link #read}. */
    public static Mat decode(byte[] bytes, String label, long pixelLimit) throws ImageException {
        loadOpenCv();
        if (bytes.length == 0) throw new ImageException(label + ": empty image");
        Mat buf = new Mat(1, bytes.length, CvType.CV_8UC1);
        buf.put(0, 0, bytes);
        Mat m = Imgcodecs.imdecode(buf, Imgcodecs.IMREAD_COLOR);
        buf.release();
        if (m.empty()) throw new ImageException(label + ": not a decodable image");
        if ((long) m.rows() * m.cols() > pixelLimit) {
            m.release();
            throw new ImageException(label + ": more than " + pixelLimit + " pixels");
        }
        return m;
    }

    /**
     * Applies a letterbox: resize (only when the size changes; INTER_LINEAR, or INTER_AREA when {@code area} and
     * shrinking, as the evaluation path's load_image) and pad with colour (114, 114, 114).
     */
    public static Mat letterbox(Mat bgr, Letterbox lb, boolean area) {
        Mat resized = bgr;
        if (bgr.rows() != lb.resizedHeight() || bgr.cols() != lb.resizedWidth()) {
            resized = new Mat();
            int interp = area && lb.ratio() < 1 ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
            Imgproc.resize(bgr, resized, new Size(lb.resizedWidth(), lb.resizedHeight()), 0, 0, interp);
        }
        Mat out = new Mat();
        Core.copyMakeBorder(resized, out, lb.top(), lb.bottom(), lb.left(), lb.right(), Core.BORDER_CONSTANT, new Scalar(114, 114, 114));
        if (resized != bgr) resized.release();
        return out;
    }

    /** The detect path's letterbox (INTER_LINEAR). */
    public static Mat letterbox(Mat bgr, Letterbox lb) {
        return letterbox(bgr, lb, false);
    }

    /**
     * Network input from same-size 8-bit BGR images: (B, 3, H, W) float32 RGB in [0, 1]. The bytes are copied
     * once; the colour swap, layout change and scaling run on the engine.
     */
    public static NDArray toInput(NDManager manager, List<Mat> bgr) {
        if (bgr.isEmpty()) throw new IllegalArgumentException("no images");
        int h = bgr.get(0).rows(), w = bgr.get(0).cols();
        ByteBuffer buf = ByteBuffer.allocateDirect(bgr.size() * h * w * 3).order(ByteOrder.nativeOrder());
        byte[] row = new byte[h * w * 3];
        for (Mat m : bgr) {
            if (m.rows() != h || m.cols() != w || m.type() != CvType.CV_8UC3)
                throw new IllegalArgumentException("images of one batch must share size and be 8-bit BGR; got " + m.size() + " type " + m.type() + " after " + w + "x" + h);
            Mat c = m.isContinuous() ? m : m.clone();
            c.get(0, 0, row);
            if (c != m) c.release();
            buf.put(row);
        }
        buf.flip();
        NDArray u8 = manager.create(buf, new Shape(bgr.size(), h, w, 3), DataType.UINT8);
        NDArray f = u8.toType(DataType.FLOAT32, false);
        u8.close();
        NDArray rgb = NDArrays.concat(new NDList(f.get("..., 2:3"), f.get("..., 1:2"), f.get("..., 0:1")), 3);
        return rgb.transpose(0, 3, 1, 2).div(255f);
    }
}
