package io.dydet.testing;

import io.dydet.data.Images;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

/** Crafted image bytes for the tests of bad input. */
public final class TestImages {
    private TestImages() {}

    /** A PNG signature and IHDR chunk (with a correct CRC) claiming w x h pixels, and no pixel data. */
    public static byte[] pngHeader(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.writeBytes("IHDR");
        c.writeInt(w);
        c.writeInt(h);
        c.write(new byte[] {8, 2, 0, 0, 0});
        byte[] body = chunk.toByteArray();
        out.writeInt(13);
        out.write(body);
        CRC32 crc = new CRC32();
        crc.update(body);
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    /**
     * A w x h PNG of random pixels (fixed seed) written with OpenCV as {@code dir/<name>_<w>x<h>.png}, e.g. a
     * degenerate 2000x1 strip whose short side rounds to 0 px at detection sizes.
     */
    public static Path png(Path dir, String name, int w, int h) throws IOException {
        Images.loadOpenCv();
        Path file = dir.resolve(name + "_" + w + "x" + h + ".png");
        Mat m = new Mat(h, w, CvType.CV_8UC3);
        try {
            byte[] px = new byte[w * h * 3];
            new SplittableRandom(w * 31L + h).nextBytes(px);
            m.put(0, 0, px);
            if (!Imgcodecs.imwrite(file.toString(), m)) throw new IOException("cannot write " + file);
        } finally {
            m.release();
        }
        return file;
    }
}
