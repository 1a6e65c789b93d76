package io.dydet.data.train;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * The original's paste_in (design.md, Training data): object crops cut out through their polygons from random 4-mosaic
 * canvases, pasted (resized, through the mask) into up to 20 random rectangles that cover less than 30% of every
 * existing box; each paste adds its rectangle as a box label. Needs segment labels.
 */
final class PasteIn {
    /** Fractions of the image side of the candidate rectangles, as the original. */
    private static final double[] SCALES = {
        0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625,
        0.0625, 0.0625, 0.0625
    };

    static final int MIN_SAMPLES = 30;
    /** Bounds the search for crops in a set where few images have polygons. */
    private static final int MAX_SAMPLE_MOSAICS = 200;

    /** One object crop: class, BGR pixels and its 8-bit mask (255 inside the polygon). */
    record Crop(float cls, Mat image, Mat mask) {
        void release() {
            image.release();
            mask.release();
        }
    }

    private PasteIn() {}

    /** Collects at least 30 crops (fewer when the set has few polygons). */
    static List<Crop> collect(TrainAugmentation src, RandomGenerator rnd) {
        List<Crop> crops = new ArrayList<>();
        for (int tries = 0; crops.size() < MIN_SAMPLES && tries < MAX_SAMPLE_MOSAICS; tries++) {
            Mosaic.Canvas c = Mosaic.four(src, rnd.nextInt(src.set().size()), rnd);
            try {
                crops.addAll(cut(c, rnd));
            } finally {
                c.image().release();
            }
            if (crops.isEmpty()) break; // as the original: no polygons in the first mosaic, give up
        }
        return crops;
    }

    /** Half of the canvas's polygon objects (chosen at random), cut out through their masks. */
    static List<Crop> cut(Mosaic.Canvas c, RandomGenerator rnd) {
        List<Target> withSegments = new ArrayList<>();
        for (Target t : c.targets()) if (t.segment != null) withSegments.add(t);
        List<Crop> out = new ArrayList<>();
        int n = withSegments.size();
        int k = (int) Math.rint(0.5 * n);
        // k distinct picks (partial Fisher-Yates)
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            Target tmp = withSegments.get(i);
            withSegments.set(i, withSegments.get(j));
            withSegments.set(j, tmp);
        }
        Mat img = c.image();
        int w = img.cols(), h = img.rows();
        for (int i = 0; i < k; i++) {
            Target t = withSegments.get(i);
            int bx1 = clampInt((int) t.x1, w - 1), by1 = clampInt((int) t.y1, h - 1);
            int bx2 = clampInt((int) t.x2, w - 1), by2 = clampInt((int) t.y2, h - 1);
            if (bx2 <= bx1 || by2 <= by1) continue;
            Point[] pts = new Point[t.segment.length / 2];
            for (int p = 0; p < pts.length; p++) pts[p] = new Point((int) t.segment[2 * p], (int) t.segment[2 * p + 1]);
            Mat full = Mat.zeros(h, w, CvType.CV_8UC1);
            MatOfPoint poly = new MatOfPoint(pts);
            Imgproc.drawContours(full, List.of(poly), -1, new Scalar(255), Imgproc.FILLED);
            poly.release();
            Mat maskRoi = full.submat(by1, by2, bx1, bx2);
            Mat mask = maskRoi.clone();
            Mat imgRoi = img.submat(by1, by2, bx1, bx2);
            Mat crop = Mat.zeros(mask.size(), CvType.CV_8UC3);
            imgRoi.copyTo(crop, mask);
            maskRoi.release();
            imgRoi.release();
            full.release();
            out.add(new Crop(t.cls, crop, mask));
        }
        return out;
    }

    /** Pastes crops into {@code image} in place and appends their boxes to {@code targets}. */
    static void apply(Mat image, List<Target> targets, List<Crop> crops, RandomGenerator rnd) {
        int h = image.rows(), w = image.cols();
        for (double s : SCALES) {
            if (rnd.nextDouble() < 0.2) continue;
            int maskH = rnd.nextInt(1, Math.max(1, (int) (h * s)) + 1);
            int maskW = rnd.nextInt(1, Math.max(1, (int) (w * s)) + 1);
            int xmin = Math.max(0, rnd.nextInt(0, w + 1) - maskW / 2);
            int ymin = Math.max(0, rnd.nextInt(0, h + 1) - maskH / 2);
            int xmax = Math.min(w, xmin + maskW), ymax = Math.min(h, ymin + maskH);
            if (!(coversLittle(xmin, ymin, xmax, ymax, targets)
                    && !crops.isEmpty()
                    && xmax > xmin + 20
                    && ymax > ymin + 20)) continue;
            Crop crop = crops.get(rnd.nextInt(crops.size()));
            int hs = crop.image().rows(), ws = crop.image().cols();
            double r = Math.min((double) (ymax - ymin) / hs, (double) (xmax - xmin) / ws);
            int rw = (int) (ws * r), rh = (int) (hs * r);
            if (rw <= 10 || rh <= 10) continue;
            Mat rMask = new Mat(), rImage = new Mat();
            Imgproc.resize(crop.mask(), rMask, new Size(rw, rh));
            Imgproc.resize(crop.image(), rImage, new Size(rw, rh));
            // the original counts mask elements over 3 channels and needs more than 60
            if (Core.countNonZero(rMask) * 3 > 60) {
                Mat roi = image.submat(ymin, ymin + rh, xmin, xmin + rw);
                rImage.copyTo(roi, rMask);
                roi.release();
                targets.add(new Target(crop.cls(), xmin, ymin, xmin + rw, ymin + rh, null));
            }
            rMask.release();
            rImage.release();
        }
    }

    /** Every existing box is covered by less than 30% of its area (the original's bbox_ioa test). */
    private static boolean coversLittle(double x1, double y1, double x2, double y2, List<Target> targets) {
        for (Target t : targets) {
            double iw = Math.max(0, Math.min(x2, t.x2) - Math.max(x1, t.x1));
            double ih = Math.max(0, Math.min(y2, t.y2) - Math.max(y1, t.y1));
            double area = (t.x2 - t.x1) * (t.y2 - t.y1) + 1e-16;
            if (iw * ih / area >= 0.30) return false;
        }
        return true;
    }

    private static int clampInt(int v, int max) {
        return Math.max(0, Math.min(max, v));
    }
}
