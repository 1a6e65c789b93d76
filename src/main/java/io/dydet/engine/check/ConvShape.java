package io.dydet.engine.check;

/**
 * One convolution as the engine sees it, for one image: input channels, output channels, a square kernel, a stride,
 * the padding and the input's height and width. The unit of the engine check: oneDNN chooses its kernel and blocking
 * from exactly these numbers (and the data type and layout), so a model is covered when its shapes are.
 */
public record ConvShape(int in, int out, int kernel, int stride, int padding, long height, long width) {
    public ConvShape {
        if (in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0 || height < 1 || width < 1) {
            throw new IllegalArgumentException("invalid convolution " + in + "->" + out + " k" + kernel + " s" + stride
                    + " p" + padding + " at " + height + "x" + width);
        }
    }

    /** A convolution with the padding that keeps the size at stride 1 ({@code kernel / 2}), as every conv of YOLOv7. */
    public static ConvShape same(int in, int out, int kernel, int stride, long height, long width) {
        return new ConvShape(in, out, kernel, stride, kernel / 2, height, width);
    }

    public long outHeight() {
        return (height + 2L * padding - kernel) / stride + 1;
    }

    public long outWidth() {
        return (width + 2L * padding - kernel) / stride + 1;
    }

    /** Multiply-accumulates of the forward pass. */
    public long macs() {
        return outHeight() * outWidth() * out * (long) in * kernel * kernel;
    }

    @Override
    public String toString() {
        return in + "->" + out + " k" + kernel + "s" + stride + "p" + padding + " @" + height + "x" + width;
    }
}
