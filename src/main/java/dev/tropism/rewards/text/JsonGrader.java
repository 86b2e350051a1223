package dev.tropism.rewards.text;

import com.networknt.schema.Schema;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.JsonPaths;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import dev.tropism.web.JsonPointers;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code json}: checks the sample's output as JSON (RFC 8259, parsed once per sample by
 * {@link Sample#outputJson()}). A sample scores 1.0 when its output parses and passes every configured
 * check, else 0.0 (all or nothing; combine several {@code json} graders in a {@code multi} for partial
 * credit). The checks, in order, the first failure deciding:
 * <ol>
 *   <li>the output parses: else a {@code json_parse} error. With no other check this is the whole grader.</li>
 *   <li>{@code schema}: the output conforms to this JSON Schema ({@link JsonSchemas}): else a
 *       {@code json_schema} error naming the first violations.</li>
 *   <li>{@code equals}: for each {@code "path": expected}, the output's value at the dot-separated path
 *       (object fields by name, array elements by index, as in {@code {{sample.output_json.<path>}}})
 *       equals {@code expected}: else 0.0 (a missing path is a {@code json_path} error). A string
 *       {@code expected} is a template: it is rendered and compared with the value's text (a JSON string's
 *       content, otherwise its JSON), numbers comparing by value ({@code 42} equals {@code "42.0"}). Any
 *       other {@code expected} (number, boolean, null, object, array) must equal the value as JSON, numbers
 *       by value at every depth.</li>
 * </ol>
 */
public final class JsonGrader extends PerSampleGrader {

    /** Error kind of an output that parses but breaks the schema. */
    static final String JSON_SCHEMA = "json_schema";

    /** JSON numbers are equal by value ({@code 1}, {@code 1.0}, {@code 1e0}); other nodes by Jackson's equality. */
    private static final Comparator<JsonNode> BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /** One {@code equals} entry: the path and either a template or a JSON literal. */
    private record Expected(String[] path, Template template, JsonNode literal) {
    }

    private final Schema schema;
    private final List<Expected> equals;

    private JsonGrader(String name, Schema schema, List<Expected> equals) {
        super(name);
        this.schema = schema;
        this.equals = List.copyOf(equals);
    }

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        JsonNode json = sample.outputJson();
        if (schema != null) {
            String broken = JsonSchemas.violations(schema, json);
            if (broken != null) {
                throw new GradingException(JSON_SCHEMA, broken);
            }
        }
        for (Expected e : equals) {
            if (!matches(JsonPaths.at(json, e.path()), e, sample)) {
                return 0.0;
            }
        }
        return 1.0;
    }

    private static boolean matches(JsonNode actual, Expected e, Sample sample) throws GradingException {
        if (e.literal() != null) {
            return actual.equals(BY_VALUE, e.literal());
        }
        String expected = e.template().render(sample);
        if (actual.isNumber()) {
            BigDecimal a = actual.decimalValue();
            try {
                return a.compareTo(new BigDecimal(expected.trim())) == 0;
            } catch (NumberFormatException notANumber) {
                return false;
            }
        }
        return (actual.isString() ? actual.asString() : actual.toString()).equals(expected);
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "schema", "equals");
        /** Most {@code equals} entries: each is a check per sample. */
        static final int MAX_EQUALS = 100;

        @Override
        public String type() {
            return "json";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            boolean ok = true;
            Schema schema = null;
            if (!GraderOptions.absent(node, "schema")) {
                schema = JsonSchemas.compile(node.get("schema"), JsonPointers.child(pointer, "schema"), ctx);
                ok = schema != null;
            }
            List<Expected> equals = new ArrayList<>();
            if (!GraderOptions.absent(node, "equals")) {
                ok &= equals(node.get("equals"), JsonPointers.child(pointer, "equals"), ctx, equals);
            }
            return ok && name != null ? new JsonGrader(name, schema, equals) : null;
        }

        private static boolean equals(JsonNode eq, String pointer, GraderCompiler.Context ctx, List<Expected> out) {
            if (!eq.isObject() || eq.isEmpty() || eq.size() > MAX_EQUALS) {
                ctx.violation(pointer, "must be an object of 1 to " + MAX_EQUALS
                        + " entries \"<dot.separated.path>\": expected value or template");
                return false;
            }
            boolean ok = true;
            for (String path : eq.propertyNames()) {
                String p = JsonPointers.child(pointer, path);
                String[] segments = path.split("\\.", -1);
                boolean validPath = true;
                for (String s : segments) {
                    validPath &= !s.isEmpty();
                }
                if (!validPath) {
                    ctx.violation(p, "the key must be a path of dot-separated field names or indexes, e.g. answer.items.0");
                    ok = false;
                    continue;
                }
                JsonNode v = eq.get(path);
                if (v.isString()) {
                    Template t = Template.parse(v.asString(), p, ctx);
                    ok &= t != null;
                    out.add(new Expected(segments, t, null));
                } else {
                    out.add(new Expected(segments, null, v));
                }
            }
            return ok;
        }
    }
}
