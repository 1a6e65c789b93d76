package io.dydet.data.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * One training batch: the images as one direct buffer of 8-bit pixels in NHWC order with BGR channels (OpenCV's
 * order; {@link #images} swaps to RGB on the engine), and the targets as rows
 * (image index in the batch, class, cx, cy, w, h), normalised, as the original's collate_fn concatenates them.
 *
 * @param epoch      the epoch it belongs to
 * @param index      its index within the epoch (0 .. batchesPerEpoch - 1)
 * @param pixels     B x H x W x 3 uint8 BGR, position 0, limit = capacity
 * @param targets    (T, 6) rows
 * @param paths      the images' files, in batch order
 */
public record TrainBatch(
        int epoch, int index, int size, int height, int width, ByteBuffer pixels, float[][] targets, List<Path> paths) {

    /**
     * The network input (B, 3, H, W) float32 RGB in [0, 1]. The bytes are copied to the engine once as UINT8
     * (DJL's create(byte[]) would make signed INT8), converted and reordered there.
     */
    public NDArray images(NDManager manager) {
        NDArray u8 = manager.create(pixels.duplicate(), new Shape(size, height, width, 3), DataType.UINT8);
        NDArray f = u8.toType(DataType.FLOAT32, false);
        u8.close();
        NDArray rgb = f.flip(3);
        f.close();
        NDArray chw = rgb.transpose(0, 3, 1, 2);
        rgb.close();
        NDArray out = chw.div(255f);
        chw.close();
        return out;
    }

    /** The targets as a (T, 6) float32 array: (image index, class, cx, cy, w, h); T may be 0. */
    public NDArray targets(NDManager manager) {
        float[] flat = new float[targets.length * 6];
        for (int i = 0; i < targets.length; i++) System.arraycopy(targets[i], 0, flat, i * 6, 6);
        return manager.create(flat, new Shape(targets.length, 6));
    }

    /** The pixels of image {@code i} as H x W x 3 BGR bytes (a copy). */
    public byte[] imageBytes(int i) {
        int n = height * width * 3;
        byte[] b = new byte[n];
        pixels.duplicate().position(i * n).get(b);
        return b;
    }
}
