package io.dydet.data;

import java.io.IOException;

/** An image that cannot be used; the message names the file (or upload) and what was wrong. */
public class ImageException extends IOException {
    /** What was wrong, for callers that answer differently (a service: 400, 415 or 422). */
    public enum Kind {
        /** The file could not be read at all. */
        UNREADABLE,
        /** Zero bytes. */
        EMPTY,
        /** Not an image format dydet decodes. */
        UNSUPPORTED,
        /** A known format whose data is broken (e.g. a truncated JPEG). */
        CORRUPT,
        /** More pixels than the configured limit. */
        TOO_LARGE
    }

    private final Kind kind;

    public ImageException(String message) {
        this(Kind.UNREADABLE, message);
    }

    public ImageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
