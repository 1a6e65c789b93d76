package io.dydet.demo;

/** The demo would not finish within its time budget on this machine; the message says by how much and what to shorten. */
public final class DemoBudgetException extends RuntimeException {
    public DemoBudgetException(String message) {
        super(message);
    }
}
