package io.dydet.data.train;

import java.nio.file.Path;
import java.util.List;

/**
 * One checked training image: its path, its size as decoded (height, width; EXIF orientation applied as OpenCV does),
 * and its objects normalised to that size.
 *
 * @param labels   one row per object: (class, cx, cy, w, h), normalised
 * @param segments per object the polygon it was derived from as normalised (x1, y1, x2, y2, ...), or null when the
 *                 label file gave a plain box for that object
 */
public record LabelledImage(Path image, int height, int width, float[][] labels, List<float[]> segments) {
    public int objects() {
        return labels.length;
    }

    /** Whether any object has a polygon (paste-in and the polygon box warp need one). */
    public boolean hasSegments() {
        for (float[] s : segments) if (s != null) return true;
        return false;
    }
}
