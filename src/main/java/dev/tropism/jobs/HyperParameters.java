package dev.tropism.jobs;

import dev.tropism.engine.ConfigException;
import dev.tropism.web.Violation;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Binds snake_case JSON hyperparameters onto an engine config record: starts from the record's
 * defaults, overrides the given keys, and reports every problem as a {@link Violation} (wrong type at
 * the key's pointer, {@link ConfigException} at the offending field's pointer).
 */
public final class HyperParameters {

    private HyperParameters() {
    }

    /**
     * {@code maxCompletionLength} → {@code max_completion_length}; a one-letter word is a word of its own:
     * {@code logZLearningRate} → {@code log_z_learning_rate}.
     */
    public static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replaceAll("([A-Z])([A-Z][a-z])", "$1_$2")
                .toLowerCase(Locale.ROOT);
    }

    /** The snake_case keys of a record's components. */
    public static List<String> keys(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(c -> snake(c.getName())).toList();
    }

    /**
     * Builds {@code type} from {@code defaults} overridden by {@code given} (keys not of this record are
     * ignored; the caller reports them). Returns null when any violation was added.
     *
     * @param fixed keys users may not set (e.g. {@code vocab_size}); taken from the defaults
     */
    public static <R extends Record> R bind(Class<R> type, R defaults, Map<String, JsonNode> given, String pointer,
            List<String> fixed, List<Violation> violations) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        List<String> reset = new ArrayList<>(); // keys reported and put back to their default
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            String key = snake(c.getName());
            JsonNode node = fixed.contains(key) ? null : given.get(key);
            try {
                args[i] = node == null ? defaultOf(c, defaults) : convert(c.getType(), node);
            } catch (IllegalArgumentException e) {
                violations.add(new Violation(pointer + "/" + key, e.getMessage()));
                reset.add(key);
                args[i] = defaultOf(c, defaults);
            }
        }
        Constructor<R> ctor;
        try {
            ctor = type.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        ctor.setAccessible(true); // a method's own config record may be package-private in the engine
        // The constructor stops at the first value out of range: to report every one at once (and those
        // besides wrong types), put the offending given value back to its default and construct again,
        // until it passes or fails on a field already reset (or not given).
        while (true) {
            try {
                R built = ctor.newInstance(args);
                return reset.isEmpty() ? built : null;
            } catch (InvocationTargetException e) {
                if (!(e.getCause() instanceof ConfigException ce)) {
                    throw new IllegalStateException(e.getCause());
                }
                if (reset.contains(ce.field())) {
                    return null; // its default clashes with another given value: already reported
                }
                violations.add(new Violation(pointer + "/" + ce.field(), ce.reason()));
                int i = indexOf(components, ce.field());
                if (i < 0 || fixed.contains(ce.field()) || !given.containsKey(ce.field())) {
                    return null;
                }
                reset.add(ce.field());
                args[i] = defaultOf(components[i], defaults);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Object defaultOf(RecordComponent c, Record defaults) {
        try {
            java.lang.reflect.Method accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(defaults);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int indexOf(RecordComponent[] components, String key) {
        for (int i = 0; i < components.length; i++) {
            if (snake(components[i].getName()).equals(key)) {
                return i;
            }
        }
        return -1;
    }

    private static Object convert(Class<?> type, JsonNode node) {
        if (type == int.class) {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw new IllegalArgumentException("must be an integer");
            }
            return node.intValue();
        }
        if (type == long.class) {
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                throw new IllegalArgumentException("must be an integer");
            }
            return node.longValue();
        }
        if (type == double.class) {
            if (!node.isNumber()) {
                throw new IllegalArgumentException("must be a number");
            }
            return node.doubleValue();
        }
        if (type == boolean.class) {
            if (!node.isBoolean()) {
                throw new IllegalArgumentException("must be a boolean");
            }
            return node.booleanValue();
        }
        if (type.isEnum()) {
            String allowed = Arrays.stream(type.getEnumConstants()).map(v -> ((Enum<?>) v).name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", "));
            if (node.isString()) {
                for (Object constant : type.getEnumConstants()) {
                    if (((Enum<?>) constant).name().equalsIgnoreCase(node.asString())) {
                        return constant;
                    }
                }
            }
            throw new IllegalArgumentException("must be one of " + allowed);
        }
        throw new IllegalStateException("unsupported hyperparameter type " + type);
    }
}
