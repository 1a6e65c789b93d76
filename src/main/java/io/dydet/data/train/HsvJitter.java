package io.dydet.data.train;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgproc.Imgproc;

/**
 * The original's augment_hsv (design.md, Training data): random gains g = 1 + uniform(-1, 1) * (hsv_h, hsv_s, hsv_v) applied
 * in OpenCV's HSV (H in 0..179) through 256-entry lookup tables: H' = (H * g_h) mod 180, S' = clip(S * g_s),
 * V' = clip(V * g_v), values truncated to uint8 as numpy's astype does.
 */
final class HsvJitter {
    private HsvJitter() {}

    /** Draws the three gains (always three draws, so the random stream does not depend on the hyp values). */
    static double[] drawGains(RandomGenerator rnd, double hGain, double sGain, double vGain) {
        return new double[] {
            RandomPerspective.uniform(rnd, -1, 1) * hGain + 1,
            RandomPerspective.uniform(rnd, -1, 1) * sGain + 1,
            RandomPerspective.uniform(rnd, -1, 1) * vGain + 1
        };
    }

    /**
     * Applies the gains to an 8-bit BGR image in place. All gains exactly 1 (hyp gains 0) leaves the image
     * untouched (the original still round-trips through HSV, which is lossy by a level here and there).
     */
    static void apply(Mat bgr, double[] g) {
        if (g[0] == 1 && g[1] == 1 && g[2] == 1) return;
        Mat hsv = new Mat();
        Imgproc.cvtColor(bgr, hsv, Imgproc.COLOR_BGR2HSV);
        List<Mat> ch = new ArrayList<>(3);
        Core.split(hsv, ch);
        for (int c = 0; c < 3; c++) {
            Mat lut = table(c, g[c]);
            Core.LUT(ch.get(c), lut, ch.get(c));
            lut.release();
        }
        Core.merge(ch, hsv);
        Imgproc.cvtColor(hsv, bgr, Imgproc.COLOR_HSV2BGR);
        for (Mat m : ch) m.release();
        hsv.release();
    }

    private static Mat table(int channel, double gain) {
        byte[] t = new byte[256];
        for (int x = 0; x < 256; x++) {
            double v = x * gain;
            int q = channel == 0 ? (int) floorMod(v, 180) : (int) Math.max(0, Math.min(255, v));
            t[x] = (byte) q;
        }
        Mat lut = new Mat(1, 256, CvType.CV_8UC1);
        lut.put(0, 0, t);
        return lut;
    }

    /** Python's float %: the result has the divisor's sign. */
    private static double floorMod(double v, double m) {
        double r = v % m;
        return r < 0 ? r + m : r;
    }
}
