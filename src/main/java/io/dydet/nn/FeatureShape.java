package io.dydet.nn;

/** Channels, height and width of one feature map, without the batch dimension. */
public record FeatureShape(long channels, long height, long width) {
    public long elements() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
