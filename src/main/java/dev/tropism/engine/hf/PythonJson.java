package dev.tropism.engine.hf;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The {@code |tojson} filter as transformers defines it for chat templates: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}, each keyword settable
 * from the template. jinjava's own {@code tojson} writes Jackson's compact form ({@code {"a":1}}), where Python
 * writes {@code {"a": 1}}, so tool definitions and tool-call arguments would not match what the model was trained on.
 */
final class PythonJson implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        if (args.length > 0) {
            throw new IllegalArgumentException("tojson takes keyword arguments only");
        }
        Object indent = kwargs.get("indent");
        if (indent != null && !(indent instanceof Number)) {
            throw new IllegalArgumentException("tojson: indent must be a number of spaces");
        }
        String itemSeparator = indent == null ? ", " : ",";
        String keySeparator = ": ";
        if (kwargs.get("separators") instanceof List<?> s && s.size() == 2) {
            itemSeparator = String.valueOf(s.get(0));
            keySeparator = String.valueOf(s.get(1));
        } else if (kwargs.get("separators") != null) {
            throw new IllegalArgumentException("tojson: separators must be (item_separator, key_separator)");
        }
        return dumps(var, new Style(Boolean.TRUE.equals(kwargs.get("ensure_ascii")),
                indent == null ? null : " ".repeat(Math.max(0, ((Number) indent).intValue())), itemSeparator,
                keySeparator, Boolean.TRUE.equals(kwargs.get("sort_keys"))));
    }

    /** json.dumps's options; {@code indent} null is one line. */
    record Style(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
    }

    static String dumps(Object value, Style style) {
        StringBuilder out = new StringBuilder();
        write(value, style, 0, out);
        return out.toString();
    }

    private static void newline(Style style, int depth, StringBuilder out) {
        if (style.indent() != null) {
            out.append('\n').append(style.indent().repeat(depth));
        }
    }

    private static void write(Object value, Style style, int depth, StringBuilder out) {
        if (depth > 100) {
            throw new IllegalArgumentException("tojson: nested too deep");
        }
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof CharSequence s) {
            string(s.toString(), style.ensureAscii(), out);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pythonFloat(((Number) value).doubleValue()));
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger) {
            out.append(value);
        } else if (value instanceof BigDecimal d) {
            out.append(pythonFloat(d.doubleValue()));
        } else if (value instanceof Map<?, ?> map) {
            List<Map.Entry<String, Object>> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
            }
            if (style.sortKeys()) {
                entries.sort(Map.Entry.comparingByKey());
            }
            if (entries.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            for (int i = 0; i < entries.size(); i++) {
                out.append(i == 0 ? "" : style.itemSeparator());
                newline(style, depth + 1, out);
                string(entries.get(i).getKey(), style.ensureAscii(), out);
                out.append(style.keySeparator());
                Object v = entries.get(i).getValue();
                write(v == NULL ? null : v, style, depth + 1, out);
            }
            newline(style, depth, out);
            out.append('}');
        } else if (value instanceof Collection<?> || value instanceof Object[]) {
            Collection<?> items = value instanceof Object[] a ? List.of(a) : (Collection<?>) value;
            if (items.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            int i = 0;
            for (Object item : items) {
                out.append(i++ == 0 ? "" : style.itemSeparator());
                newline(style, depth + 1, out);
                write(item, style, depth + 1, out);
            }
            newline(style, depth, out);
            out.append(']');
        } else {
            throw new IllegalArgumentException("tojson: " + value.getClass().getSimpleName()
                    + " is not JSON serializable");
        }
    }

    /** Stands for a null map value, which Map.entry refuses. */
    private static final Object NULL = new Object();

    /** json.dumps's key conversion: strings as they are, numbers and booleans as JSON writes them. */
    private static String key(Object k) {
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Double || k instanceof Float) {
            return pythonFloat(((Number) k).doubleValue());
        }
        return k.toString();
    }

    private static void string(String s, boolean ensureAscii, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code repr(float)}: shortest digits, exponent form below 1e-4 and from 1e16. */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        String sign = d < 0 ? "-" : "";
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int point = digits.length() - exact.scale(); // digits.point (10^point) is the value
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                return sign + "0." + "0".repeat(-point) + digits;
            }
            if (point >= digits.length()) {
                return sign + digits + "0".repeat(point - digits.length()) + ".0";
            }
            return sign + digits.substring(0, point) + "." + digits.substring(point);
        }
        int exponent = point - 1;
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                + Math.abs(exponent);
    }
}
