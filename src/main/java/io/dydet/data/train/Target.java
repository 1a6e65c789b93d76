package io.dydet.data.train;

import java.util.ArrayList;
import java.util.List;

/**
 * One object while a sample is being augmented: class, box corners in pixels of the current canvas and optionally
 * its polygon in the same pixels (x1, y1, x2, y2, ...). Mutable: the geometric steps move it in place.
 */
final class Target {
    final float cls;
    double x1, y1, x2, y2;
    double[] segment;

    Target(float cls, double x1, double y1, double x2, double y2, double[] segment) {
        this.cls = cls;
        this.x1 = x1;
        this.y1 = y1;
        this.x2 = x2;
        this.y2 = y2;
        this.segment = segment;
    }

    /**
     * An image's normalised labels as pixel targets: scaled by (w, h) and shifted by (padX, padY), as the original's
     * xywhn2xyxy / xyn2xy do.
     */
    static List<Target> fromLabels(LabelledImage im, double w, double h, double padX, double padY) {
        List<Target> out = new ArrayList<>(im.objects());
        for (int i = 0; i < im.objects(); i++) {
            float[] r = im.labels()[i];
            double[] seg = null;
            float[] s = im.segments().get(i);
            if (s != null) {
                seg = new double[s.length];
                for (int k = 0; k < s.length; k += 2) {
                    seg[k] = s[k] * w + padX;
                    seg[k + 1] = s[k + 1] * h + padY;
                }
            }
            out.add(new Target(
                    r[0],
                    w * (r[1] - r[3] / 2) + padX,
                    h * (r[2] - r[4] / 2) + padY,
                    w * (r[1] + r[3] / 2) + padX,
                    h * (r[2] + r[4] / 2) + padY,
                    seg));
        }
        return out;
    }

    void shift(double dx, double dy) {
        x1 += dx;
        x2 += dx;
        y1 += dy;
        y2 += dy;
        if (segment != null) {
            for (int k = 0; k < segment.length; k += 2) {
                segment[k] += dx;
                segment[k + 1] += dy;
            }
        }
    }

    /** Clips box and polygon to [0, max] (the original clips mosaic labels before the perspective warp). */
    void clip(double max) {
        x1 = clamp(x1, max);
        x2 = clamp(x2, max);
        y1 = clamp(y1, max);
        y2 = clamp(y2, max);
        if (segment != null) for (int k = 0; k < segment.length; k++) segment[k] = clamp(segment[k], max);
    }

    private static double clamp(double v, double max) {
        return Math.max(0, Math.min(max, v));
    }

    /** (class, cx, cy, w, h) normalised to a width x height image. */
    float[] normalised(int width, int height) {
        return new float[] {
            cls,
            (float) ((x1 + x2) / 2 / width),
            (float) ((y1 + y2) / 2 / height),
            (float) ((x2 - x1) / width),
            (float) ((y2 - y1) / height)
        };
    }
}
