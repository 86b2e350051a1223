package dev.tropism.engine;

/**
 * Thrown by a config record's constructor when a value is out of range. {@link #field()} is the
 * snake_case name of the offending knob, so the service can turn it into a JSON pointer.
 */
public class ConfigException extends IllegalArgumentException {

    private final String field;

    public ConfigException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The snake_case name of the offending field, e.g. {@code epsilon_low}. */
    public String field() {
        return field;
    }

    /** The reason without the field prefix. */
    public String reason() {
        return getMessage().substring(field.length() + 2);
    }

    /** Fails with a {@link ConfigException} unless {@code condition} holds. */
    public static void require(boolean condition, String field, String message) {
        if (!condition) {
            throw new ConfigException(field, message);
        }
    }
}
