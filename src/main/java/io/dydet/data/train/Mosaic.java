package io.dydet.data.train;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;

/**
 * The original's load_mosaic / load_mosaic9 canvases (design.md, Training data), before the perspective warp: a 2s x 2s
 * canvas (pad 114) with the sample and random partners (uniform over the set, with replacement), labels shifted
 * with their tiles and clipped to [0, 2s].
 */
final class Mosaic {
    /** A canvas and its objects in canvas pixels. */
    record Canvas(Mat image, List<Target> targets) {}

    private Mosaic() {}

    /** 4 tiles around a random centre (xc, yc) uniform in [s/2, 3s/2). */
    static Canvas four(TrainAugmentation src, int index, RandomGenerator rnd) {
        int s = src.imgSize();
        int border = src.mosaicBorder(); // negative: -s/2
        int yc = (int) RandomPerspective.uniform(rnd, -border, 2 * s + border);
        int xc = (int) RandomPerspective.uniform(rnd, -border, 2 * s + border);
        int[] indices = {
            index,
            rnd.nextInt(src.set().size()),
            rnd.nextInt(src.set().size()),
            rnd.nextInt(src.set().size())
        };
        Mat canvas = new Mat(2 * s, 2 * s, CvType.CV_8UC3, new Scalar(114, 114, 114));
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            TrainAugmentation.Loaded im = src.loadImage(indices[i]);
            int h = im.image().rows(), w = im.image().cols();
            int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
            switch (i) {
                case 0 -> { // top left
                    x1a = Math.max(xc - w, 0);
                    y1a = Math.max(yc - h, 0);
                    x2a = xc;
                    y2a = yc;
                    x1b = w - (x2a - x1a);
                    y1b = h - (y2a - y1a);
                    x2b = w;
                    y2b = h;
                }
                case 1 -> { // top right
                    x1a = xc;
                    y1a = Math.max(yc - h, 0);
                    x2a = Math.min(xc + w, 2 * s);
                    y2a = yc;
                    x1b = 0;
                    y1b = h - (y2a - y1a);
                    x2b = Math.min(w, x2a - x1a);
                    y2b = h;
                }
                case 2 -> { // bottom left
                    x1a = Math.max(xc - w, 0);
                    y1a = yc;
                    x2a = xc;
                    y2a = Math.min(2 * s, yc + h);
                    x1b = w - (x2a - x1a);
                    y1b = 0;
                    x2b = w;
                    y2b = Math.min(y2a - y1a, h);
                }
                default -> { // bottom right
                    x1a = xc;
                    y1a = yc;
                    x2a = Math.min(xc + w, 2 * s);
                    y2a = Math.min(2 * s, yc + h);
                    x1b = 0;
                    y1b = 0;
                    x2b = Math.min(w, x2a - x1a);
                    y2b = Math.min(y2a - y1a, h);
                }
            }
            paste(im.image(), canvas, x1b, y1b, x2b, y2b, x1a, y1a);
            targets.addAll(Target.fromLabels(im.labels(), w, h, x1a - x1b, y1a - y1b));
            im.image().release();
        }
        for (Target t : targets) t.clip(2 * s);
        return new Canvas(canvas, targets);
    }

    /** The sample in the centre of a 3s x 3s canvas, 8 neighbours around it, then a random 2s x 2s crop. */
    static Canvas nine(TrainAugmentation src, int index, RandomGenerator rnd) {
        int s = src.imgSize();
        int[] indices = new int[9];
        indices[0] = index;
        for (int i = 1; i < 9; i++) indices[i] = rnd.nextInt(src.set().size());
        Mat canvas = new Mat(3 * s, 3 * s, CvType.CV_8UC3, new Scalar(114, 114, 114));
        List<Target> targets = new ArrayList<>();
        int h0 = 0, w0 = 0, hp = 0, wp = 0;
        for (int i = 0; i < 9; i++) {
            TrainAugmentation.Loaded im = src.loadImage(indices[i]);
            int h = im.image().rows(), w = im.image().cols();
            int[] c =
                    switch (i) { // xmin, ymin, xmax, ymax on the canvas
                        case 0 -> new int[] {s, s, s + w, s + h};
                        case 1 -> new int[] {s, s - h, s + w, s}; // top
                        case 2 -> new int[] {s + wp, s - h, s + wp + w, s}; // top right
                        case 3 -> new int[] {s + w0, s, s + w0 + w, s + h}; // right
                        case 4 -> new int[] {s + w0, s + hp, s + w0 + w, s + hp + h}; // bottom right
                        case 5 -> new int[] {s + w0 - w, s + h0, s + w0, s + h0 + h}; // bottom
                        case 6 -> new int[] {s + w0 - wp - w, s + h0, s + w0 - wp, s + h0 + h}; // bottom left
                        case 7 -> new int[] {s - w, s + h0 - h, s, s + h0}; // left
                        default -> new int[] {s - w, s + h0 - hp - h, s, s + h0 - hp}; // top left
                    };
            if (i == 0) {
                h0 = h;
                w0 = w;
            }
            int padX = c[0], padY = c[1];
            int x1 = Math.max(c[0], 0), y1 = Math.max(c[1], 0);
            int x2 = Math.min(Math.max(c[2], 0), 3 * s), y2 = Math.min(Math.max(c[3], 0), 3 * s);
            paste(im.image(), canvas, x1 - padX, y1 - padY, x2 - padX, y2 - padY, x1, y1);
            targets.addAll(Target.fromLabels(im.labels(), w, h, padX, padY));
            im.image().release();
            hp = h;
            wp = w;
        }
        int yc = (int) RandomPerspective.uniform(rnd, 0, s);
        int xc = (int) RandomPerspective.uniform(rnd, 0, s);
        Mat crop = canvas.submat(yc, yc + 2 * s, xc, xc + 2 * s).clone();
        canvas.release();
        for (Target t : targets) {
            t.shift(-xc, -yc);
            t.clip(2 * s);
        }
        return new Canvas(crop, targets);
    }

    /** Copies src[y1b:y2b, x1b:x2b] to dst at (x1a, y1a); empty regions are skipped. */
    private static void paste(Mat src, Mat dst, int x1b, int y1b, int x2b, int y2b, int x1a, int y1a) {
        if (x2b <= x1b || y2b <= y1b) return;
        Mat from = src.submat(y1b, y2b, x1b, x2b);
        Mat to = dst.submat(y1a, y1a + (y2b - y1b), x1a, x1a + (x2b - x1b));
        from.copyTo(to);
        from.release();
        to.release();
    }
}
