package io.dydet.data.train;

import io.dydet.data.Hyperparameters;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * The original's random_perspective (design.md, Training data): one matrix M = T * S * R * P * C applied to the pixels
 * (warpAffine, or warpPerspective when perspective != 0; border value 114) and to the boxes (through their 4
 * corners, or through their polygon resampled to 1000 points when it has one), followed by the box_candidates
 * filter. A negative border crops (the mosaic's 2s canvas becomes s).
 */
final class RandomPerspective {
    static final int SEGMENT_POINTS = 1000;

    /**
     * The drawn parameters: perspective terms, rotation (degrees), isotropic scale, shear (degrees), and the
     * translation as a fraction of the output size.
     */
    record Params(
            double perspectiveX,
            double perspectiveY,
            double degrees,
            double scale,
            double shearX,
            double shearY,
            double translateX,
            double translateY) {
        /** No change: warps nothing and leaves the boxes as they are (with border 0). */
        static final Params IDENTITY = new Params(0, 0, 0, 1, 0, 0, 0.5, 0.5);

        static Params draw(RandomGenerator rnd, Hyperparameters hyp) {
            double px = uniform(rnd, -hyp.perspective(), hyp.perspective());
            double py = uniform(rnd, -hyp.perspective(), hyp.perspective());
            double a = uniform(rnd, -hyp.degrees(), hyp.degrees());
            double s = uniform(rnd, 1 - hyp.scale(), 1.1 + hyp.scale());
            double shx = uniform(rnd, -hyp.shear(), hyp.shear());
            double shy = uniform(rnd, -hyp.shear(), hyp.shear());
            double tx = uniform(rnd, 0.5 - hyp.translate(), 0.5 + hyp.translate());
            double ty = uniform(rnd, 0.5 - hyp.translate(), 0.5 + hyp.translate());
            return new Params(px, py, a, s, shx, shy, tx, ty);
        }
    }

    private RandomPerspective() {}

    static double uniform(RandomGenerator rnd, double lo, double hi) {
        return lo + (hi - lo) * rnd.nextDouble();
    }

    /** M for an input of (inW, inH) and an output of (outW, outH), row-major 3x3. */
    static double[] matrix(Params p, int inW, int inH, int outW, int outH) {
        double[] c = {1, 0, -inW / 2.0, 0, 1, -inH / 2.0, 0, 0, 1};
        double[] persp = {1, 0, 0, 0, 1, 0, p.perspectiveX(), p.perspectiveY(), 1};
        // cv2.getRotationMatrix2D(center 0, angle a, scale s): [[s cos, s sin], [-s sin, s cos]]
        double rad = Math.toRadians(p.degrees());
        double sc = p.scale() * Math.cos(rad), ss = p.scale() * Math.sin(rad);
        double[] r = {sc, ss, 0, -ss, sc, 0, 0, 0, 1};
        double[] sh = {1, Math.tan(Math.toRadians(p.shearX())), 0, Math.tan(Math.toRadians(p.shearY())), 1, 0, 0, 0, 1};
        double[] t = {1, 0, p.translateX() * outW, 0, 1, p.translateY() * outH, 0, 0, 1};
        return mul(t, mul(sh, mul(r, mul(persp, c))));
    }

    private static double[] mul(double[] a, double[] b) {
        double[] o = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                o[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
        return o;
    }

    /**
     * Warps {@code img} (released when a new image is returned) and moves/filters {@code targets} in place.
     *
     * @param border added to each side (negative crops), the original's mosaic_border
     */
    static Mat apply(Mat img, List<Target> targets, Params p, int border) {
        int outH = img.rows() + 2 * border, outW = img.cols() + 2 * border;
        double[] m = matrix(p, img.cols(), img.rows(), outW, outH);
        boolean perspective = p.perspectiveX() != 0 || p.perspectiveY() != 0;
        Mat out = img;
        if (border != 0 || !isIdentity(m)) {
            out = new Mat();
            Scalar grey = new Scalar(114, 114, 114);
            if (perspective) {
                Mat mm = new Mat(3, 3, CvType.CV_64F);
                mm.put(0, 0, m);
                Imgproc.warpPerspective(
                        img, out, mm, new Size(outW, outH), Imgproc.INTER_LINEAR, Core.BORDER_CONSTANT, grey);
                mm.release();
            } else {
                Mat mm = new Mat(2, 3, CvType.CV_64F);
                mm.put(0, 0, m[0], m[1], m[2], m[3], m[4], m[5]);
                Imgproc.warpAffine(
                        img, out, mm, new Size(outW, outH), Imgproc.INTER_LINEAR, Core.BORDER_CONSTANT, grey);
                mm.release();
            }
            img.release();
        }
        transformTargets(targets, m, perspective, p.scale(), outW, outH);
        return out;
    }

    private static boolean isIdentity(double[] m) {
        for (int i = 0; i < 9; i++) if (m[i] != (i % 4 == 0 ? 1 : 0)) return false;
        return true;
    }

    static void transformTargets(
            List<Target> targets, double[] m, boolean perspective, double scale, int outW, int outH) {
        List<Target> kept = new ArrayList<>(targets.size());
        for (Target t : targets) {
            double ow = t.x2 - t.x1, oh = t.y2 - t.y1;
            double[] box;
            double areaThreshold;
            if (t.segment != null) {
                double[] pts = resample(t.segment, SEGMENT_POINTS);
                transformPoints(pts, m, perspective);
                box = boxOfInside(pts, outW, outH);
                t.segment = null; // the warped polygon is not needed after this step
                areaThreshold = 0.01;
            } else {
                double[] pts = {t.x1, t.y1, t.x2, t.y2, t.x1, t.y2, t.x2, t.y1};
                transformPoints(pts, m, perspective);
                double x1 = Math.min(Math.min(pts[0], pts[2]), Math.min(pts[4], pts[6]));
                double x2 = Math.max(Math.max(pts[0], pts[2]), Math.max(pts[4], pts[6]));
                double y1 = Math.min(Math.min(pts[1], pts[3]), Math.min(pts[5], pts[7]));
                double y2 = Math.max(Math.max(pts[1], pts[3]), Math.max(pts[5], pts[7]));
                box = new double[] {clip(x1, outW), clip(y1, outH), clip(x2, outW), clip(y2, outH)};
                areaThreshold = 0.10;
            }
            if (isCandidate(ow * scale, oh * scale, box[2] - box[0], box[3] - box[1], areaThreshold)) {
                t.x1 = box[0];
                t.y1 = box[1];
                t.x2 = box[2];
                t.y2 = box[3];
                kept.add(t);
            }
        }
        targets.clear();
        targets.addAll(kept);
    }

    /**
     * The original's box_candidates: keep a box that is still more than 2 px wide and high, kept more than
     * {@code areaThreshold} of its (scaled) area, and is not thinner than 1:20.
     */
    static boolean isCandidate(double w1, double h1, double w2, double h2, double areaThreshold) {
        double eps = 1e-16;
        double ar = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
        return w2 > 2 && h2 > 2 && w2 * h2 / (w1 * h1 + eps) > areaThreshold && ar < 20;
    }

    private static double clip(double v, double max) {
        return Math.max(0, Math.min(max, v));
    }

    private static void transformPoints(double[] xy, double[] m, boolean perspective) {
        for (int k = 0; k < xy.length; k += 2) {
            double x = xy[k], y = xy[k + 1];
            double nx = m[0] * x + m[1] * y + m[2], ny = m[3] * x + m[4] * y + m[5];
            if (perspective) {
                double z = m[6] * x + m[7] * y + m[8];
                nx /= z;
                ny /= z;
            }
            xy[k] = nx;
            xy[k + 1] = ny;
        }
    }

    /** The closed polygon linearly resampled to n points (first point repeated at the end, as the original). */
    static double[] resample(double[] seg, int n) {
        int pts = seg.length / 2 + 1; // closed
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double pos = n == 1 ? 0 : (double) i * (pts - 1) / (n - 1);
            int a = (int) Math.floor(pos);
            if (a >= pts - 1) a = pts - 2;
            double f = pos - a;
            int ia = a % (seg.length / 2), ib = (a + 1) % (seg.length / 2);
            out[2 * i] = seg[2 * ia] + f * (seg[2 * ib] - seg[2 * ia]);
            out[2 * i + 1] = seg[2 * ia + 1] + f * (seg[2 * ib + 1] - seg[2 * ia + 1]);
        }
        return out;
    }

    /** Bounding box of the points inside [0, w] x [0, h]; all zero when none is (the filter then drops it). */
    private static double[] boxOfInside(double[] xy, int w, int h) {
        double x1 = Double.MAX_VALUE, y1 = Double.MAX_VALUE, x2 = -Double.MAX_VALUE, y2 = -Double.MAX_VALUE;
        boolean any = false;
        for (int k = 0; k < xy.length; k += 2) {
            double x = xy[k], y = xy[k + 1];
            if (x >= 0 && y >= 0 && x <= w && y <= h) {
                any = true;
                x1 = Math.min(x1, x);
                x2 = Math.max(x2, x);
                y1 = Math.min(y1, y);
                y2 = Math.max(y2, y);
            }
        }
        return any ? new double[] {x1, y1, x2, y2} : new double[4];
    }
}
