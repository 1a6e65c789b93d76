package io.dydet.eval;

import java.io.IOException;

/**
 * A COCO instances file or COCO results file that cannot be evaluated: invalid JSON, a missing field, a value of
 * the wrong type, or a detection for an image that the ground truth does not have. The message names the file
 * and the offending entry, for example {@code "dt.json: [12] (detection): field 'bbox' must be an array of 4
 * numbers"}.
 */
public class CocoFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and the entry */
    public CocoFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and the entry
     * @param cause the parser's exception
     */
    public CocoFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
