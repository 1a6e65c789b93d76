package io.dydet.box;

/**
 * How an image was fitted into the network input: resized by {@code ratio} to (resizedHeight, resizedWidth), then
 * padded with top/bottom/left/right pixels to (paddedHeight, paddedWidth). Maps boxes back to the original image.
 *
 * @param padX the (possibly half-pixel) horizontal padding per side, as the original reports it
 * @param padY the vertical one
 */
public record Letterbox(int originalHeight, int originalWidth, int resizedHeight, int resizedWidth, int paddedHeight, int paddedWidth,
                        double ratio, double padX, double padY, int top, int bottom, int left, int right) {

    /**
     * The original's detect-path letterbox (auto=True, scaleup=True): scale the long side to {@code size}, round the
     * resized size half-to-even as Python does, pad only up to a multiple of {@code stride}, half of it each side
     * with the half pixel going to bottom/right.
     */
    public static Letterbox forDetect(int h, int w, int size, int stride) {
        return of(h, w, size, size, stride, true, true);
    }

    /**
     * The general form: fit (h, w) into (targetH, targetW); {@code auto} pads only to a stride multiple;
     * {@code scaleUp} false never enlarges (the evaluation path). A resized side is at least 1 px, so a very thin
     * image (e.g. 20000x1) is letterboxed, not an OpenCV error; {@link #toOriginal} still maps it back by the ratio.
     */
    public static Letterbox of(int h, int w, int targetH, int targetW, int stride, boolean auto, boolean scaleUp) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("image size must be positive, got " + h + "x" + w);
        double r = Math.min((double) targetH / h, (double) targetW / w);
        if (!scaleUp) r = Math.min(r, 1.0);
        int nw = Math.max(1, (int) Math.rint(w * r)), nh = Math.max(1, (int) Math.rint(h * r));
        double dw = targetW - nw, dh = targetH - nh;
        if (auto) {
            dw = Math.floorMod((int) dw, stride);
            dh = Math.floorMod((int) dh, stride);
        }
        dw /= 2;
        dh /= 2;
        int top = (int) Math.rint(dh - 0.1), bottom = (int) Math.rint(dh + 0.1);
        int left = (int) Math.rint(dw - 0.1), right = (int) Math.rint(dw + 0.1);
        return new Letterbox(h, w, nh, nw, nh + top + bottom, nw + left + right, r, dw, dh, top, bottom, left, right);
    }

    /**
     * The original's load_image size {height, width}: the long side becomes {@code imgSize}, the other
     * int(side * r). A side that would truncate to 0 px (e.g. 600x1 at 256) is 1 px instead of an OpenCV error.
     */
    public static int[] loadSize(int h, int w, int imgSize) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("image size must be positive, got " + h + "x" + w);
        double r = (double) imgSize / Math.max(h, w);
        return new int[] {Math.max(1, (int) (h * r)), Math.max(1, (int) (w * r))};
    }

    /**
     * The ratio that maps a {@link #loadSize loaded} image back to the original: the height's, as the original's
     * ratio_pad; where the height was raised from 0 to 1 px it means nothing, so the width's.
     */
    public static double loadGain(int h, int w, int imgSize) {
        double r = (double) imgSize / Math.max(h, w);
        int lh = (int) (h * r);
        return lh >= 1 ? (double) lh / h : (double) Math.max(1, (int) (w * r)) / w;
    }

    /**
     * The evaluation path's shape for one image (rect batches of one, design.md, Letterboxing): the image is first resized so its
     * long side is {@code imgSize}, then the batch shape is ceil(shape * imgSize / stride + pad) * stride, e.g. a
     * square image at 640 is fed at 672.
     */
    public static int[] evalShape(int h, int w, int imgSize, int stride, double pad) {
        double ar = (double) h / w;
        double sh, sw;
        if (ar < 1) {
            sh = ar;
            sw = 1;
        } else {
            sh = 1;
            sw = 1 / ar;
        }
        return new int[] {(int) (Math.ceil(sh * imgSize / stride + pad) * stride), (int) (Math.ceil(sw * imgSize / stride + pad) * stride)};
    }

    /**
     * A box in letterboxed pixels mapped to the original image and clipped to it, as the original's scale_coords
     * does without explicit ratio/pad: gain = min of the padded/original size ratios, pad = the centred remainder.
     */
    public Box toOriginal(Box b) {
        float gain = (float) Math.min((double) paddedHeight / originalHeight, (double) paddedWidth / originalWidth);
        float px = (float) ((paddedWidth - originalWidth * (double) gain) / 2);
        float py = (float) ((paddedHeight - originalHeight * (double) gain) / 2);
        float x1 = clip((b.x1() - px) / gain, originalWidth), x2 = clip((b.x2() - px) / gain, originalWidth);
        float y1 = clip((b.y1() - py) / gain, originalHeight), y2 = clip((b.y2() - py) / gain, originalHeight);
        return new Box(x1, y1, Math.max(x1, x2), Math.max(y1, y2));
    }

    /** Like {@link #toOriginal} with this letterbox's own ratio and padding (the evaluation path's ratio_pad). */
    public Box toOriginalExact(Box b) {
        float gain = (float) ratio;
        float px = (float) padX, py = (float) padY;
        float x1 = clip((b.x1() - px) / gain, originalWidth), x2 = clip((b.x2() - px) / gain, originalWidth);
        float y1 = clip((b.y1() - py) / gain, originalHeight), y2 = clip((b.y2() - py) / gain, originalHeight);
        return new Box(x1, y1, Math.max(x1, x2), Math.max(y1, y2));
    }

    private static float clip(float v, int max) {
        return Math.max(0f, Math.min(v, max));
    }
}
