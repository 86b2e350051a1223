package dev.tropism.rewards;

import tools.jackson.databind.JsonNode;

/** Dot-separated paths into JSON values: object fields by name, array elements by index. */
public final class JsonPaths {

    /** A path to a value that is not there. */
    static final String JSON_PATH = "json_path";

    private JsonPaths() {
    }

    /** The value at {@code path} in {@code root}; a {@code json_path} error when absent. */
    public static JsonNode at(JsonNode root, String[] path) throws GradingException {
        JsonNode node = root;
        for (int i = 0; i < path.length; i++) {
            String seg = path[i];
            JsonNode next = null;
            if (node.isObject()) {
                next = node.get(seg);
            } else if (node.isArray() && seg.chars().allMatch(Character::isDigit) && seg.length() < 10) {
                next = node.get(Integer.parseInt(seg));
            }
            if (next == null || next.isMissingNode()) {
                throw new GradingException(JSON_PATH, "output JSON has no value at '"
                        + String.join(".", java.util.Arrays.copyOf(path, i + 1)) + "'");
            }
            node = next;
        }
        return node;
    }
}
