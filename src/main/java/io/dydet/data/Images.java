package io.dydet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dydet.box.Letterbox;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
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
    /**
     * Decoded pixels one detection batch may hold at once: 320 M, about 1 GB of 8-bit BGR (serve's default budget,
     * 8 images at its 40 M pixel limit). Eight 100-megapixel images would take 2.4 GB.
     */
    public static final long DEFAULT_DECODED_PIXEL_BUDGET = 320_000_000L;

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
        if (size == 0) throw new ImageException(ImageException.Kind.EMPTY, file + ": empty file (0 bytes)");
        int[] hw = headerDims(file);
        if (hw != null) checkPixels(file.toString(), hw, pixelLimit);
        checkJpegComplete(file);
        Mat m = Imgcodecs.imread(file.toString(), Imgcodecs.IMREAD_COLOR);
        if (m.empty()) {
            m.release();
            throw new ImageException(
                    ImageException.Kind.CORRUPT,
                    file + ": not a decodable image (corrupt, or a format OpenCV cannot read)");
        }
        return checkDecoded(file.toString(), m, pixelLimit);
    }

    /** Height and width from the header without decoding, or null when ImageIO cannot tell. */
    public static int[] headerDims(Path file) {
        return headerSize(file.toFile());
    }

    /**
     * Pixels an image will hold once decoded, from its header's {@code [height, width]}: an unknown size counts as
     * {@code pixelLimit}, and no image counts for more, as larger ones are refused before decoding.
     */
    public static long decodedPixels(int[] headerDims, long pixelLimit) {
        return headerDims == null ? pixelLimit : Math.min((long) headerDims[0] * headerDims[1], pixelLimit);
    }

    /** Height and width from encoded image bytes without decoding, or null when ImageIO cannot tell. */
    public static int[] headerDims(byte[] encoded) {
        return headerSize(new ByteArrayInputStream(encoded));
    }

    /** Height and width from an ImageIO input (file or stream) without decoding, or null when ImageIO does not know the format. */
    private static int[] headerSize(Object input) {
        try (ImageInputStream in = ImageIO.createImageInputStream(input)) {
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
            if (!hasJpegEnd(end.array(), 0, tail)) throw truncatedJpeg(file.toString());
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static boolean hasJpegEnd(byte[] b, int from, int to) {
        for (int i = to - 2; i >= from; i--) {
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) return true;
        }
        return false;
    }

    private static ImageException truncatedJpeg(String label) {
        return new ImageException(
                ImageException.Kind.CORRUPT, label + ": corrupt JPEG (truncated: no end-of-image marker)");
    }

    private static void checkPixels(String label, int[] hw, long pixelLimit) throws ImageException {
        if ((long) hw[0] * hw[1] > pixelLimit) {
            throw new ImageException(
                    ImageException.Kind.TOO_LARGE,
                    label + ": " + hw[1] + "x" + hw[0] + " pixels exceeds the limit of " + pixelLimit + " pixels");
        }
    }

    private static Mat checkDecoded(String label, Mat m, long pixelLimit) throws ImageException {
        if ((long) m.rows() * m.cols() > pixelLimit) {
            m.release();
            throw new ImageException(
                    ImageException.Kind.TOO_LARGE,
                    label + ": " + m.cols() + "x" + m.rows() + " pixels exceeds the limit of " + pixelLimit
                            + " pixels");
        }
        return m;
    }

    /**
     * The image format of encoded bytes from their first bytes, for the formats this OpenCV build decodes
     * (JPEG, PNG, BMP, TIFF, WebP, PNM), or null.
     */
    public static String sniffFormat(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) return "jpeg";
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') return "bmp";
        if (b.length >= 4
                && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
                        || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) return "tiff";
        if (b.length >= 12
                && b[0] == 'R'
                && b[1] == 'I'
                && b[2] == 'F'
                && b[3] == 'F'
                && b[8] == 'W'
                && b[9] == 'E'
                && b[10] == 'B'
                && b[11] == 'P') return "webp";
        if (b.length >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return "pnm";
        return null;
    }

    /**
     * Decodes encoded image bytes (e.g. an HTTP upload) like {@link #read} decodes a file: the format is checked
     * from the first bytes, the header's size against {@code pixelLimit} before any pixel is decoded, a JPEG for
     * its end marker. Errors name {@code label} and carry their {@link ImageException.Kind}.
     */
    public static Mat decode(byte[] bytes, String label, long pixelLimit) throws ImageException {
        loadOpenCv();
        if (bytes.length == 0) throw new ImageException(ImageException.Kind.EMPTY, label + ": empty image (0 bytes)");
        String format = sniffFormat(bytes);
        if (format == null) {
            throw new ImageException(
                    ImageException.Kind.UNSUPPORTED,
                    label + ": not an image in a supported format (JPEG, PNG, BMP, TIFF, WebP, PNM); it starts with "
                            + describeStart(bytes));
        }
        int[] hw = headerDims(bytes);
        if (hw != null) checkPixels(label, hw, pixelLimit);
        if (format.equals("jpeg") && !hasJpegEnd(bytes, Math.max(0, bytes.length - 4096), bytes.length))
            throw truncatedJpeg(label);
        Mat buf = new Mat(1, bytes.length, CvType.CV_8UC1);
        buf.put(0, 0, bytes);
        Mat m = Imgcodecs.imdecode(buf, Imgcodecs.IMREAD_COLOR);
        buf.release();
        if (m.empty()) {
            m.release();
            throw new ImageException(
                    ImageException.Kind.CORRUPT,
                    label + ": a " + format.toUpperCase(Locale.ROOT) + " header, but the image data cannot be decoded");
        }
        return checkDecoded(label, m, pixelLimit);
    }

    private static String describeStart(byte[] b) {
        int n = Math.min(8, b.length);
        boolean text = true;
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < n; i++) {
            hex.append(String.format("%02x", b[i] & 0xff));
            text &= (b[i] >= 0x20 && b[i] <= 0x7e) || Character.isWhitespace(b[i]);
        }
        if (text) return "text \"" + new String(b, 0, n, StandardCharsets.US_ASCII).replaceAll("\\s", " ") + "\"";
        return "bytes " + hex;
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
        Core.copyMakeBorder(
                resized,
                out,
                lb.top(),
                lb.bottom(),
                lb.left(),
                lb.right(),
                Core.BORDER_CONSTANT,
                new Scalar(114, 114, 114));
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
                throw new IllegalArgumentException("images of one batch must share size and be 8-bit BGR; got "
                        + m.size() + " type " + m.type() + " after " + w + "x" + h);
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
