package dev.tropism.rewards;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A grader string with placeholders {@code {{item.<field>}}}, {@code {{sample.output_text}}} and
 * {@code {{sample.output_json.<path>}}} (a dot-separated path into the output parsed as JSON; numeric
 * segments index arrays), parsed once into parts so that rendering is a cheap concatenation.
 */
public final class Template {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(.*?)}}");
    private static final Pattern ITEM_FIELD = Pattern.compile("item\\.([A-Za-z0-9_\\-]+)");
    private static final Pattern OUTPUT_JSON = Pattern.compile("sample\\.output_json((?:\\.[A-Za-z0-9_\\-]+)*)");
    private static final String OUTPUT = "sample.output_text";

    /** A literal, an item field, the sample output, or a path into the output's JSON. */
    private record Part(String literal, String field, boolean output, String[] jsonPath) {
    }

    private final List<Part> parts;

    private Template(List<Part> parts) {
        this.parts = List.copyOf(parts);
    }

    /** Parses {@code text}; bad placeholders are reported to {@code ctx} at {@code pointer}. */
    public static Template parse(String text, String pointer, GraderCompiler.Context ctx) {
        List<Part> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int last = 0;
        boolean ok = true;
        while (m.find()) {
            if (m.start() > last) {
                parts.add(new Part(text.substring(last, m.start()), null, false, null));
            }
            String ref = m.group(1).trim();
            Matcher item = ITEM_FIELD.matcher(ref);
            Matcher json = OUTPUT_JSON.matcher(ref);
            if (ref.equals(OUTPUT)) {
                parts.add(new Part(null, null, true, null));
            } else if (item.matches()) {
                parts.add(new Part(null, item.group(1), false, null));
                ctx.itemField(item.group(1));
            } else if (json.matches()) {
                String path = json.group(1);
                parts.add(new Part(null, null, false, path.isEmpty() ? new String[0] : path.substring(1).split("\\.")));
            } else {
                ctx.violation(pointer, "unknown placeholder '{{" + m.group(1)
                        + "}}'; use {{item.<field>}}, {{sample.output_text}} or {{sample.output_json.<path>}}");
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
            parts.add(new Part(rest, null, false, null));
        }
        return ok ? new Template(parts) : null;
    }

    /** True when the template is exactly {@code {{sample.output_text}}}. */
    boolean isOutputText() {
        return parts.size() == 1 && parts.get(0).output();
    }

    public String render(Sample sample) throws GradingException {
        if (parts.size() == 1) {
            return renderPart(parts.get(0), sample);
        }
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            sb.append(renderPart(p, sample));
        }
        return sb.toString();
    }

    private static String renderPart(Part p, Sample sample) throws GradingException {
        if (p.output()) {
            return sample.outputText();
        }
        if (p.jsonPath() != null) {
            return text(JsonPaths.at(sample.outputJson(), p.jsonPath()));
        }
        if (p.field() == null) {
            return p.literal();
        }
        Object v = sample.item().get(p.field());
        if (v == null) {
            throw new GradingException(GradingException.MISSING_FIELD, "item has no field '" + p.field() + "'");
        }
        return v.toString();
    }

    /** A JSON string renders as its text, anything else as JSON. */
    private static String text(JsonNode node) {
        return node.isString() ? node.asString() : node.toString();
    }
}
