package dev.tropism.web;

import java.util.List;
import tools.jackson.databind.DatabindException;

/** RFC 6901 JSON pointers for request bodies. */
public final class JsonPointers {

    private JsonPointers() {
    }

    /** Escapes one reference token ({@code ~} to {@code ~0}, {@code /} to {@code ~1}). */
    public static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** {@code base + "/" + escape(token)}. */
    public static String child(String base, String token) {
        return base + "/" + escape(token);
    }

    /** The pointer of the location a Jackson databind error happened at (JSON names as sent). */
    public static String of(DatabindException e) {
        StringBuilder sb = new StringBuilder();
        List<tools.jackson.core.JacksonException.Reference> path = e.getPath();
        for (tools.jackson.core.JacksonException.Reference ref : path) {
            if (ref.getPropertyName() != null) {
                sb.append('/').append(escape(ref.getPropertyName()));
            } else if (ref.getIndex() >= 0) {
                sb.append('/').append(ref.getIndex());
            }
        }
        return sb.length() == 0 ? "" : sb.toString();
    }

    /**
     * A bean-validation property path ({@code grader.graders[a].weightValue}, Java names) as a JSON
     * pointer with snake_case names ({@code /grader/graders/a/weight_value}).
     */
    public static String fromPropertyPath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("\\.")) {
            if (part.isEmpty()) {
                continue;
            }
            int bracket = part.indexOf('[');
            String name = bracket < 0 ? part : part.substring(0, bracket);
            if (!name.isEmpty()) {
                sb.append('/').append(escape(snake(name)));
            }
            while (bracket >= 0) {
                int close = part.indexOf(']', bracket);
                if (close < 0) {
                    break;
                }
                sb.append('/').append(escape(part.substring(bracket + 1, close)));
                bracket = part.indexOf('[', close);
            }
        }
        return sb.toString();
    }

    static String snake(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
