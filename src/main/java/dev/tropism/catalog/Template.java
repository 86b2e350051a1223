package dev.tropism.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A grader string with placeholders {@code {{item.<field>}}} and {@code {{sample.output_text}}},
 * parsed once into parts so that rendering is a cheap concatenation.
 */
final class Template {

    /** A field the item lacks; the grader reports it as a per-sample error. */
    static final class MissingFieldException extends Exception {

        MissingFieldException(String field) {
            super("item has no field '" + field + "'", null, false, false);
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(.*?)}}");
    private static final Pattern ITEM_FIELD = Pattern.compile("item\\.([A-Za-z0-9_\\-]+)");
    private static final String OUTPUT = "sample.output_text";

    /** A literal (field null, output false), an item field, or the sample output. */
    private record Part(String literal, String field, boolean output) {
    }

    private final List<Part> parts;

    private Template(List<Part> parts) {
        this.parts = List.copyOf(parts);
    }

    /** Parses {@code text}; bad placeholders are reported to {@code ctx} at {@code pointer}. */
    static Template parse(String text, String pointer, GraderCompiler.Context ctx) {
        List<Part> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int last = 0;
        boolean ok = true;
        while (m.find()) {
            if (m.start() > last) {
                parts.add(new Part(text.substring(last, m.start()), null, false));
            }
            String ref = m.group(1).trim();
            Matcher item = ITEM_FIELD.matcher(ref);
            if (ref.equals(OUTPUT)) {
                parts.add(new Part(null, null, true));
            } else if (item.matches()) {
                parts.add(new Part(null, item.group(1), false));
                ctx.itemField(item.group(1));
            } else {
                ctx.violation(pointer, "unknown placeholder '{{" + m.group(1)
                        + "}}'; use {{item.<field>}} or {{sample.output_text}}");
                ok = false;
            }
            last = m.end();
        }
        String rest = text.substring(last);
        if (rest.contains("{{")) {
            ctx.violation(pointer, "unclosed placeholder '{{'");
            ok = false;
        }
        if (!rest.isEmpty()) {
            parts.add(new Part(rest, null, false));
        }
        return ok ? new Template(parts) : null;
    }

    String render(Map<String, Object> item, String outputText) throws MissingFieldException {
        if (parts.size() == 1) {
            return renderPart(parts.get(0), item, outputText);
        }
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            sb.append(renderPart(p, item, outputText));
        }
        return sb.toString();
    }

    private static String renderPart(Part p, Map<String, Object> item, String outputText) throws MissingFieldException {
        if (p.output()) {
            return outputText == null ? "" : outputText;
        }
        if (p.field() == null) {
            return p.literal();
        }
        Object v = item == null ? null : item.get(p.field());
        if (v == null) {
            throw new MissingFieldException(p.field());
        }
        return v.toString();
    }
}
