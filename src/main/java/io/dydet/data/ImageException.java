package io.dydet.data;

import java.io.IOException;

/** An image file that cannot be used; the message names the file and what was wrong. */
public class ImageException extends IOException {
    public ImageException(String message) {
        super(message);
    }
}
