package io.dydet.weights;

/** A PyTorch checkpoint that dydet will not or cannot read; the message names the file and the reason. */
public class CheckpointException extends WeightsException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
