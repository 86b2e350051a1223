package dev.tropism.engine.hf;

/**
 * A model directory that cannot be imported as it is: a malformed or lying safetensors header, a shard the index
 * does not account for, an unsupported {@code model_type}, dtype or {@code rope_scaling}, a pickle checkpoint, a
 * missing or mis-shaped tensor. The message names the file (and tensor, where there is one) and says what to change;
 * the service shows it to the user as it is (a 422).
 */
public class ModelFormatException extends Exception {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
