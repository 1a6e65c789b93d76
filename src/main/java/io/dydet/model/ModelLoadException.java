package io.dydet.model;

/** Weights that do not fit a model definition, or a model file that cannot be read. */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
