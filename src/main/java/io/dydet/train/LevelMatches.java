package io.dydet.train;

/**
 * The positives OTA assigned on one level of one head: per positive the image in the batch, the anchor, the grid
 * row and column, the matched target row (image, class, cx, cy, w, h normalised) and the anchor size in grid units.
 */
public record LevelMatches(int[] image, int[] anchor, int[] gj, int[] gi, float[][] target, float[][] anchorWh) {
    public int size() {
        return image.length;
    }
}
