package io.dydet.box;

/** An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right. */
public record Box(float x1, float y1, float x2, float y2) {
    public Box {
        if (!(Float.isFinite(x1) && Float.isFinite(y1) && Float.isFinite(x2) && Float.isFinite(y2)))
            throw new IllegalArgumentException(
                    "box coordinates must be finite, got " + x1 + ", " + y1 + ", " + x2 + ", " + y2);
        if (x2 < x1 || y2 < y1)
            throw new IllegalArgumentException(
                    "box needs x2 >= x1 and y2 >= y1, got " + x1 + ", " + y1 + ", " + x2 + ", " + y2);
    }

    /** From centre, width and height (the model's output format). */
    public static Box fromCenter(float cx, float cy, float w, float h) {
        return new Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
    }

    public float width() {
        return x2 - x1;
    }

    public float height() {
        return y2 - y1;
    }

    public float area() {
        return width() * height();
    }

    /** Intersection over union (0 for disjoint boxes). */
    public float iou(Box o) {
        float w = Math.max(0f, Math.min(x2, o.x2) - Math.max(x1, o.x1));
        float h = Math.max(0f, Math.min(y2, o.y2) - Math.max(y1, o.y1));
        float inter = w * h;
        float union = area() + o.area() - inter;
        return union > 0 ? inter / union : 0f;
    }
}
