package dev.tropism.storage;

/** The key and prefix rules every {@link ObjectStore} applies, so both stores accept and refuse the same keys. */
final class ObjectKeys {

    private ObjectKeys() {
    }

    /** Rejects empty keys, absolute paths, {@code .}/{@code ..} and empty segments, and backslashes. */
    static String checkKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("\\")
                || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("Invalid object key: '" + key + "'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("Invalid object key: '" + key + "'");
            }
        }
        return key;
    }

    /** A prefix is a key, an empty string, or a key followed by a slash. */
    static String checkPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "";
        }
        String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        if (body.contains("..")) {
            throw new IllegalArgumentException("Invalid prefix: '" + prefix + "'");
        }
        checkKey(body);
        return prefix;
    }
}
