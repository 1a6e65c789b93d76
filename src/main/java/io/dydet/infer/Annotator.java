package io.dydet.infer;

import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/** Draws detections on an image: a box and "name conf" per object, one colour per class, route and score in a corner. */
public final class Annotator {
    private static final int[][] PALETTE = {
        {255, 56, 56},
        {255, 157, 151},
        {255, 112, 31},
        {255, 178, 29},
        {207, 210, 49},
        {72, 249, 10},
        {146, 204, 23},
        {61, 219, 134},
        {26, 147, 52},
        {0, 212, 187},
        {44, 153, 168},
        {0, 194, 255},
        {52, 69, 147},
        {100, 115, 255},
        {0, 24, 236},
        {132, 56, 255},
        {82, 0, 133},
        {203, 56, 255},
        {255, 149, 200},
        {255, 55, 199}
    };

    private Annotator() {}

    /** BGR colour of a class (the RGB palette cycled). */
    public static Scalar colour(int classId) {
        int[] rgb = PALETTE[Math.floorMod(classId, PALETTE.length)];
        return new Scalar(rgb[2], rgb[1], rgb[0]);
    }

    /** Draws in place on an 8-bit BGR image. */
    public static void draw(Mat bgr, ImageDetections result) {
        int thick = Math.max(1, (int) Math.round((bgr.rows() + bgr.cols()) / 2.0 * 0.003));
        double font = Math.max(0.4, thick / 3.0);
        for (Detection d : result.detections()) {
            Scalar c = colour(d.classId());
            Point p1 = new Point(d.box().x1(), d.box().y1()),
                    p2 = new Point(d.box().x2(), d.box().y2());
            Imgproc.rectangle(bgr, p1, p2, c, thick, Imgproc.LINE_AA);
            String label = d.className() + String.format(" %.2f", d.confidence());
            int[] base = new int[1];
            Size ts = Imgproc.getTextSize(label, Imgproc.FONT_HERSHEY_SIMPLEX, font, Math.max(thick - 1, 1), base);
            boolean above = p1.y - ts.height - 3 >= 0;
            Point t1 = new Point(p1.x, above ? p1.y - ts.height - 3 : p1.y);
            Point t2 = new Point(p1.x + ts.width, above ? p1.y : p1.y + ts.height + 3);
            Imgproc.rectangle(bgr, t1, t2, c, -1, Imgproc.LINE_AA);
            Imgproc.putText(
                    bgr,
                    label,
                    new Point(p1.x, above ? p1.y - 2 : p1.y + ts.height + 1),
                    Imgproc.FONT_HERSHEY_SIMPLEX,
                    font,
                    new Scalar(255, 255, 255),
                    Math.max(thick - 1, 1),
                    Imgproc.LINE_AA);
        }
        if (result.route() != null) {
            String corner = "route " + result.route().number()
                    + (Float.isNaN(result.routerScore()) ? "" : String.format("  score %.3f", result.routerScore()));
            Size ts =
                    Imgproc.getTextSize(corner, Imgproc.FONT_HERSHEY_SIMPLEX, font, Math.max(thick - 1, 1), new int[1]);
            Imgproc.rectangle(bgr, new Point(0, 0), new Point(ts.width + 8, ts.height + 10), new Scalar(0, 0, 0), -1);
            Imgproc.putText(
                    bgr,
                    corner,
                    new Point(4, ts.height + 4),
                    Imgproc.FONT_HERSHEY_SIMPLEX,
                    font,
                    result.route().number() == 1 ? new Scalar(80, 220, 80) : new Scalar(60, 140, 255),
                    Math.max(thick - 1, 1),
                    Imgproc.LINE_AA);
        }
    }
}
