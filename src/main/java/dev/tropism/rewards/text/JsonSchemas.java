package dev.tropism.rewards.text;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Regexes;
import dev.tropism.web.JsonPointers;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * JSON Schema for the {@code json} grader, with networknt's json-schema-validator (3.x, built on
 * Jackson 3 like the rest of the service). Schemas use draft 2020-12 unless their {@code $schema} names
 * draft 4, 6, 7 or 2019-09. Two things are locked down because a schema comes from a user:
 * <ul>
 *   <li>{@code $ref} resolves only inside the schema (and the bundled meta-schemas): no file or network
 *       reads, so a spec cannot probe the server's files or make it fetch URLs;</li>
 *   <li>{@code pattern} and {@code patternProperties} run on RE2J through {@link Regexes} (the library's
 *       default is {@code java.util.regex}, which backtracks), so they match in linear time. RE2 syntax is
 *       close to ECMA 262's but has no lookaround or backreferences; such a schema is rejected.</li>
 * </ul>
 */
final class JsonSchemas {

    /**
     * The {@code pattern} keyword's regexes, on RE2J; {@code find}, since JSON Schema patterns are
     * unanchored. A string longer than its pattern may match ({@link Regexes}) does not match.
     */
    private static final RegularExpressionFactory RE2J = regex -> {
        Regexes.Bounded p = Regexes.compile(regex, 0);
        return (RegularExpression) s -> {
            try {
                return p.matcher(s).find();
            } catch (GradingException tooLong) {
                return false;
            }
        };
    };

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12, b -> b
                    .schemaRegistryConfig(SchemaRegistryConfig.builder().regularExpressionFactory(RE2J)
                            .pathType(PathType.JSON_POINTER).build())
                    .schemaLoader(l -> l.fetchRemoteResources(false).block(iri -> !isMetaSchema(iri.toString()))));

    /** How many schema errors an output's error message lists. */
    private static final int ERRORS_SHOWN = 3;

    private JsonSchemas() {
    }

    private static boolean isMetaSchema(String iri) {
        return iri.startsWith("https://json-schema.org/") || iri.startsWith("http://json-schema.org/");
    }

    /**
     * {@code schema} compiled; null after reporting to {@code ctx} at {@code pointer} every place where
     * it breaks its meta-schema, or why it does not compile.
     */
    static Schema compile(JsonNode schema, String pointer, GraderCompiler.Context ctx) {
        if (!schema.isObject() && !schema.isBoolean()) {
            ctx.violation(pointer, "must be a JSON Schema: an object (or true/false)");
            return null;
        }
        SpecificationVersion version = SpecificationVersion.DRAFT_2020_12;
        JsonNode dialect = schema.get("$schema");
        if (dialect != null) {
            Optional<SpecificationVersion> v = dialect.isString()
                    ? SpecificationVersion.fromDialectId(dialect.asString()) : Optional.empty();
            if (v.isEmpty()) {
                ctx.violation(JsonPointers.child(pointer, "$schema"), "must be one of " + Arrays.stream(
                        SpecificationVersion.values()).map(SpecificationVersion::getDialectId).toList());
                return null;
            }
            version = v.get();
        }
        try {
            List<Error> errors = REGISTRY.getSchema(SchemaLocation.of(version.getDialectId())).validate(schema);
            for (Error e : errors) {
                ctx.violation(pointer + e.getInstanceLocation(), e.getMessage());
            }
            if (!errors.isEmpty()) {
                return null;
            }
            if (!patternsCompile(schema, pointer, ctx)) {
                return null;
            }
            Schema compiled = REGISTRY.getSchema(schema);
            compiled.initializeValidators(); // resolves every $ref and compiles every pattern now, not per sample
            return compiled;
        } catch (RuntimeException e) {
            ctx.violation(pointer, "does not compile: " + message(e));
            return null;
        }
    }

    /** Keywords whose values are data, not subschemas: a "pattern" inside them is not a regex. */
    private static final java.util.Set<String> DATA_KEYWORDS = java.util.Set.of("const", "enum", "default", "examples");

    /**
     * Compiles every {@code pattern} and {@code patternProperties} regex of {@code node} (a schema or a subschema)
     * on RE2J and reports each one that does not compile at its own pointer ({@code …/properties/x/pattern},
     * {@code …/patternProperties/<regex>}), which the library's wrapped error cannot name.
     *
     * @return true when every regex compiles
     */
    private static boolean patternsCompile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
        boolean ok = true;
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                ok &= patternsCompile(node.get(i), pointer + "/" + i, ctx);
            }
            return ok;
        }
        if (!node.isObject()) {
            return true;
        }
        for (String key : node.propertyNames()) {
            JsonNode value = node.get(key);
            String at = JsonPointers.child(pointer, key);
            if (key.equals("pattern") && value.isString()) {
                ok &= regexCompiles(value.asString(), at, ctx);
            } else if (key.equals("patternProperties") && value.isObject()) {
                for (String regex : value.propertyNames()) {
                    String regexAt = JsonPointers.child(at, regex);
                    ok &= regexCompiles(regex, regexAt, ctx);
                    ok &= patternsCompile(value.get(regex), regexAt, ctx);
                }
            } else if (!DATA_KEYWORDS.contains(key)) {
                ok &= patternsCompile(value, at, ctx);
            }
        }
        return ok;
    }

    private static boolean regexCompiles(String regex, String pointer, GraderCompiler.Context ctx) {
        try {
            Regexes.compile(regex, 0);
            return true;
        } catch (IllegalArgumentException e) {
            ctx.violation(pointer, "does not compile: " + e.getMessage());
            return false;
        }
    }

    /** The innermost message of {@code e}: the library wraps the regex or $ref problem. */
    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Null when {@code value} conforms to {@code schema}, else the first errors as one message. */
    static String violations(Schema schema, JsonNode value) {
        List<Error> errors = schema.validate(value);
        if (errors.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("output breaks the schema: ");
        for (int i = 0; i < Math.min(ERRORS_SHOWN, errors.size()); i++) {
            Error e = errors.get(i);
            String at = e.getInstanceLocation().toString();
            sb.append(i == 0 ? "" : "; ").append(at.isEmpty() ? "(root)" : at).append(": ").append(e.getMessage());
        }
        if (errors.size() > ERRORS_SHOWN) {
            sb.append(" (").append(errors.size() - ERRORS_SHOWN).append(" more)");
        }
        return sb.toString();
    }
}
