package io.dydet.infer;

import io.dydet.box.Box;
import java.util.Objects;

/**
 * One detected object, in pixels of the ORIGINAL image (letterbox undone, clipped to the image).
 *
 * @param confidence objectness x class probability, in [0, 1]
 */
public record Detection(Box box, float confidence, int classId, String className) {
    public Detection {
        Objects.requireNonNull(box, "box");
        if (!(confidence >= 0f && confidence <= 1f))
            throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        if (classId < 0) throw new IllegalArgumentException("classId must be >= 0, got " + classId);
    }
}
