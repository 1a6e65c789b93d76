package io.dydet.weights;

import java.io.IOException;

/** A safetensors file (or a set of tensors to write) is malformed; the message names the file and the tensor. */
public class WeightsException extends IOException {
    private static final long serialVersionUID = 1L;

    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
