package io.dydet.model;

/** A model definition (cfg) that cannot be used; the message names the file, the section and the row. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
