package dev.tropism.engine;

/** A loss or gradient became NaN or infinite. The step was not applied; the last checkpoint is intact. */
public class NumericalInstabilityException extends RuntimeException {

    public NumericalInstabilityException(String message) {
        super(message);
    }
}
