package io.dydet.box;

/**
 * How an image was fitted into the network input: resized by {@code ratio} to (resizedHeight, resizedWidth), then
 * padded with top/bottom/left/right pixels to (paddedHeight, paddedWidth). Maps boxes back to the original image.
 *
 * <ul>
 * <li>padX: the (possibly half-pixel) horizontal padding per side, as the original reports it
 * <li>padY: the vertical one
 * </ul>
 */
public final class Letterbox {
    private final int originalHeight;
    private final int originalWidth;
    private final int resizedHeight;
    private final int resizedWidth;
    private final int paddedHeight;
    private final int paddedWidth;
    private final double ratio;
    private final double padX;
    private final double padY;
    private final int top;
    private final int bottom;
    private final int left;
    private final int right;

    private Letterbox(Builder b) {
        this.originalHeight = b.originalHeight;
        this.originalWidth = b.originalWidth;
        this.resizedHeight = b.resizedHeight;
        this.resizedWidth = b.resizedWidth;
        this.paddedHeight = b.paddedHeight;
        this.paddedWidth = b.paddedWidth;
        this.ratio = b.ratio;
        this.padX = b.padX;
        this.padY = b.padY;
        this.top = b.top;
        this.bottom = b.bottom;
        this.left = b.left;
        this.right = b.right;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.originalHeight = originalHeight;
        b.originalWidth = originalWidth;
        b.resizedHeight = resizedHeight;
        b.resizedWidth = resizedWidth;
        b.paddedHeight = paddedHeight;
        b.paddedWidth = paddedWidth;
        b.ratio = ratio;
        b.padX = padX;
        b.padY = padY;
        b.top = top;
        b.bottom = bottom;
        b.left = left;
        b.right = right;
        return b;
    }

    public int originalHeight() {
        return originalHeight;
    }

    public int originalWidth() {
        return originalWidth;
    }

    public int resizedHeight() {
        return resizedHeight;
    }

    public int resizedWidth() {
        return resizedWidth;
    }

    public int paddedHeight() {
        return paddedHeight;
    }

    public int paddedWidth() {
        return paddedWidth;
    }

    public double ratio() {
        return ratio;
    }

    public double padX() {
        return padX;
    }

    public double padY() {
        return padY;
    }

    public int top() {
        return top;
    }

    public int bottom() {
        return bottom;
    }

    public int left() {
        return left;
    }

    public int right() {
        return right;
    }

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
        return Letterbox.builder()
                .originalHeight(h)
                .originalWidth(w)
                .resizedHeight(nh)
                .resizedWidth(nw)
                .paddedHeight(nh + top + bottom)
                .paddedWidth(nw + left + right)
                .ratio(r)
                .padX(dw)
                .padY(dh)
                .top(top)
                .bottom(bottom)
                .left(left)
                .right(right)
                .build();
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
        return new int[] {
            (int) (Math.ceil(sh * imgSize / stride + pad) * stride),
            (int) (Math.ceil(sw * imgSize / stride + pad) * stride)
        };
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

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Letterbox x)) return false;
        return originalHeight == x.originalHeight
                && originalWidth == x.originalWidth
                && resizedHeight == x.resizedHeight
                && resizedWidth == x.resizedWidth
                && paddedHeight == x.paddedHeight
                && paddedWidth == x.paddedWidth
                && Double.compare(ratio, x.ratio) == 0
                && Double.compare(padX, x.padX) == 0
                && Double.compare(padY, x.padY) == 0
                && top == x.top
                && bottom == x.bottom
                && left == x.left
                && right == x.right;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                originalHeight,
                originalWidth,
                resizedHeight,
                resizedWidth,
                paddedHeight,
                paddedWidth,
                ratio,
                padX,
                padY,
                top,
                bottom,
                left,
                right);
    }

    /** As a record's: {@code Letterbox[a=1, b=2]}. */
    @Override
    public String toString() {
        return "Letterbox[originalHeight=" + originalHeight + ", originalWidth=" + originalWidth + ", resizedHeight="
                + resizedHeight + ", resizedWidth=" + resizedWidth + ", paddedHeight=" + paddedHeight + ", paddedWidth="
                + paddedWidth + ", ratio=" + ratio + ", padX=" + padX + ", padY=" + padY + ", top=" + top + ", bottom="
                + bottom + ", left=" + left + ", right=" + right + "]";
    }

    public static final class Builder {
        private int originalHeight;
        private int originalWidth;
        private int resizedHeight;
        private int resizedWidth;
        private int paddedHeight;
        private int paddedWidth;
        private double ratio;
        private double padX;
        private double padY;
        private int top;
        private int bottom;
        private int left;
        private int right;

        Builder() {}

        public Builder originalHeight(int v) {
            originalHeight = v;
            return this;
        }

        public Builder originalWidth(int v) {
            originalWidth = v;
            return this;
        }

        public Builder resizedHeight(int v) {
            resizedHeight = v;
            return this;
        }

        public Builder resizedWidth(int v) {
            resizedWidth = v;
            return this;
        }

        public Builder paddedHeight(int v) {
            paddedHeight = v;
            return this;
        }

        public Builder paddedWidth(int v) {
            paddedWidth = v;
            return this;
        }

        public Builder ratio(double v) {
            ratio = v;
            return this;
        }

        public Builder padX(double v) {
            padX = v;
            return this;
        }

        public Builder padY(double v) {
            padY = v;
            return this;
        }

        public Builder top(int v) {
            top = v;
            return this;
        }

        public Builder bottom(int v) {
            bottom = v;
            return this;
        }

        public Builder left(int v) {
            left = v;
            return this;
        }

        public Builder right(int v) {
            right = v;
            return this;
        }

        public Letterbox build() {
            return new Letterbox(this);
        }
    }
}
