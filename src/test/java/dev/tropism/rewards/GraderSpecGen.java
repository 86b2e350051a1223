package dev.tropism.rewards;

import static org.quicktheories.generators.SourceDSL.strings;

import dev.tropism.rewards.text.RegexGrader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.generators.Generate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * QuickTheories generators for grader specs, items and outputs. {@link #anySpec} makes JSON-ish grader
 * objects that are mostly invalid (random types, fields, values and nesting, strings full of braces
 * and regex syntax); {@link #plausibleSpec} makes specs of the known types with values from the
 * plausible ranges, so that a good share of them compile and are then scored.
 */
final class GraderSpecGen {

    private GraderSpecGen() {
    }

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static final List<String> TYPES = List.of("string_check", "multi", "regex", "numeric", "json", "length", "",
            "REGEX", "nope");

    static final List<String> FIELDS = List.of("type", "name", "input", "reference", "operation", "graders",
            "weights", "pattern", "mode", "flags", "extract", "grader", "match", "thousands_separator", "abs_tol",
            "rel_tol", "schema", "equals", "unit", "min", "max", "falloff", "overlong", "max_length", "cache",
            "$ref", "$schema", "properties", "x");

    /** Strings that mean something to some parser: templates, regexes, enum values, paths, URIs. */
    static final List<String> SPECIAL = List.of("", " ", "{{", "}}", "{{}}", "{{item.answer}}", "{{ item.answer }}",
            "{{item.}}", "{{item}}", "{{sample.output_text}}", "{{sample.output_json}}", "{{sample.output_json.a.0}}",
            "{{item.a}}{{item.b", "x{{item.q}}y}}", "{{{{item.x}}}}", "(a+)+$", "(", ")", "[", "\\", "(?P<n>x)",
            "(?<n>x)", "a{1000}{1000}", "((a{1000}){1000}){1000}", "\\Q{{\\E", "(?=x)", "\\p{Greek}", "search",
            "fullmatch", "eq", "ilike", "first", "last", "chars", "words", "case_insensitive", "dotall", ",", ".",
            "_", "😀", "λ", "\u0000", "\uD800", "a.b", "a..b", "file:///etc/passwd", "#/$defs/x",
            "https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema#", "object",
            "string", "integer", "n", "r", "dup");

    /** Pieces from which random strings are glued: braces, placeholders, regex and JSON syntax, unicode. */
    static final List<String> PIECES = List.of("{", "}", "{{", "}}", "item", "sample", ".", "output_text",
            "output_json", "answer", "a", "0", "1", "-", "e", ",", " ", "\n", "\\", "(", ")", "[", "]", "*", "+", "?",
            "|", "$", "^", "\"", ":", "é", "😀", "λ", "\u2212", "\uD800");

    static <T> T pick(List<T> from, RandomnessSource in) {
        return from.get(Generate.range(0, from.size() - 1).generate(in));
    }

    static int range(int min, int max, RandomnessSource in) {
        return Generate.range(min, max).generate(in);
    }

    static boolean chance(int percent, RandomnessSource in) {
        return range(1, 100, in) <= percent;
    }

    /** A string glued from {@link #PIECES}, one of {@link #SPECIAL}, or arbitrary code points. */
    static Gen<String> text() {
        Gen<String> arbitrary = strings().allPossible().ofLengthBetween(0, 8);
        return in -> switch (range(0, 3, in)) {
            case 0 -> pick(SPECIAL, in);
            case 1 -> arbitrary.generate(in);
            default -> {
                StringBuilder sb = new StringBuilder();
                int n = range(0, 8, in);
                for (int i = 0; i < n; i++) {
                    sb.append(pick(PIECES, in));
                }
                yield sb.toString();
            }
        };
    }

    /** A JSON scalar: text, numbers at the edges (negative, fractional, huge, tiny), booleans, null. */
    static Gen<JsonNode> leaf() {
        Gen<String> text = text();
        List<JsonNode> numbers = List.of(NODES.numberNode(-1), NODES.numberNode(0), NODES.numberNode(1),
                NODES.numberNode(2), NODES.numberNode(3), NODES.numberNode(1000), NODES.numberNode(1001),
                NODES.numberNode(Integer.MAX_VALUE), NODES.numberNode(Long.MIN_VALUE), NODES.numberNode(0.5),
                NODES.numberNode(-0.0), NODES.numberNode(1.5), NODES.numberNode(1e-9), NODES.numberNode(1e308),
                NODES.numberNode(Double.POSITIVE_INFINITY), NODES.numberNode(Double.NaN),
                NODES.numberNode(new BigInteger("123456789012345678901234567890")));
        return in -> switch (range(0, 5, in)) {
            case 0, 1 -> NODES.stringNode(text.generate(in));
            case 2, 3 -> pick(numbers, in);
            case 4 -> NODES.booleanNode(chance(50, in));
            default -> NODES.nullNode();
        };
    }

    /** Any JSON value nested at most {@code depth} deep; objects are often grader-like. */
    static Gen<JsonNode> value(int depth) {
        Gen<JsonNode> leaf = leaf();
        if (depth <= 0) {
            return leaf;
        }
        Gen<JsonNode> inner = value(depth - 1);
        Gen<JsonNode> grader = anySpec(depth - 1);
        Gen<String> text = text();
        return in -> switch (range(0, 7, in)) {
            case 0, 1, 2 -> leaf.generate(in);
            case 3 -> {
                ArrayNode a = NODES.arrayNode();
                int n = range(0, 3, in);
                for (int i = 0; i < n; i++) {
                    a.add(inner.generate(in));
                }
                yield a;
            }
            case 4, 5 -> {
                ObjectNode o = NODES.objectNode();
                int n = range(0, 4, in);
                for (int i = 0; i < n; i++) {
                    o.set(chance(60, in) ? pick(FIELDS, in) : text.generate(in), inner.generate(in));
                }
                yield o;
            }
            default -> grader.generate(in);
        };
    }

    /** A grader-like object: usually a type, a name and some known fields, all with random values. */
    static Gen<JsonNode> anySpec(int depth) {
        Gen<JsonNode> v = value(depth);
        Gen<String> text = text();
        return in -> {
            ObjectNode o = NODES.objectNode();
            if (chance(90, in)) {
                o.set("type", chance(90, in) ? NODES.stringNode(pick(TYPES, in)) : v.generate(in));
            }
            if (chance(80, in)) {
                o.set("name", chance(80, in) ? NODES.stringNode("g" + range(0, 5, in)) : v.generate(in));
            }
            int n = range(0, 6, in);
            for (int i = 0; i < n; i++) {
                o.set(chance(85, in) ? pick(FIELDS, in) : text.generate(in), v.generate(in));
            }
            return o;
        };
    }

    // ------------------------------------------------------------------ plausible specs

    static final List<String> TEMPLATES = List.of("{{sample.output_text}}", "{{item.answer}}", "x{{item.n}}y",
            "{{sample.output_json.a}}", "{{sample.output_json.a.0.b}}", "literal", "", "{{item.answer}} {{sample.output_text}}");
    static final List<String> PATTERNS = List.of("\\d+", "(a+)+$", "answer: (.+)", "(?P<x>\\w+)", "^$", ".", "(x)?",
            "λ+", "[😀-😂]", "(?i)yes|no", "-?\\d+(?:\\.\\d+)?", "(a{43}){43}$");
    static final List<String> SCHEMAS = List.of("{}", "true", "false", "{\"type\":\"object\",\"required\":[\"a\"]}",
            "{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}", "{\"type\":\"array\",\"items\":{\"type\":\"number\"}}",
            "{\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/b\"}}},\"$defs\":{\"b\":{\"type\":\"object\"}}}");

    /** A spec of a known type with plausible values; most compile, a few (bad extract, duplicates) don't. */
    static Gen<JsonNode> plausibleSpec(int depth) {
        Gen<JsonNode> nested = depth <= 0 ? null : plausibleSpec(depth - 1);
        return in -> {
            ObjectNode o = NODES.objectNode();
            o.put("name", "g" + range(0, 1_000_000, in));
            switch (range(0, depth <= 0 ? 4 : 5, in)) {
                case 0 -> {
                    o.put("type", "regex");
                    o.put("pattern", pick(PATTERNS, in));
                    maybe(o, "input", NODES.stringNode(pick(TEMPLATES, in)), in);
                    maybe(o, "mode", NODES.stringNode(chance(50, in) ? "search" : "fullmatch"), in);
                    if (chance(40, in)) {
                        ArrayNode flags = o.putArray("flags");
                        for (RegexGrader.Flag f : RegexGrader.Flag.values()) {
                            if (chance(40, in)) {
                                flags.add(f.name().toLowerCase(java.util.Locale.ROOT));
                            }
                        }
                    }
                    maybe(o, "extract", chance(50, in) ? NODES.numberNode(range(0, 1, in)) : NODES.stringNode("x"), in);
                    if (nested != null && chance(50, in)) {
                        o.set("grader", nested.generate(in));
                    }
                }
                case 1 -> {
                    o.put("type", "numeric");
                    o.put("reference", pick(TEMPLATES, in));
                    maybe(o, "input", NODES.stringNode(pick(TEMPLATES, in)), in);
                    maybe(o, "pattern", NODES.stringNode(pick(PATTERNS, in)), in);
                    maybe(o, "match", NODES.stringNode(chance(50, in) ? "first" : "last"), in);
                    maybe(o, "thousands_separator", NODES.stringNode(pick(List.of("", ",", "_", " ", "'"), in)), in);
                    maybe(o, "abs_tol", NODES.numberNode(pick(List.of(0.0, 1e-9, 0.5, 1e300), in)), in);
                    maybe(o, "rel_tol", NODES.numberNode(pick(List.of(0.0, 1e-9, 0.5, 1e300), in)), in);
                }
                case 2 -> {
                    o.put("type", "json");
                    if (chance(50, in)) {
                        o.set("schema", GraderTests.JSON.readTree(pick(SCHEMAS, in)));
                    }
                    if (chance(50, in)) {
                        ObjectNode eq = o.putObject("equals");
                        int n = range(1, 3, in);
                        for (int i = 0; i < n; i++) {
                            eq.set(pick(List.of("a", "a.0", "a.0.b", "0", "b.c"), in), chance(50, in)
                                    ? NODES.stringNode(pick(TEMPLATES, in)) : leaf().generate(in));
                        }
                    }
                }
                case 3 -> {
                    o.put("type", "length");
                    maybe(o, "input", NODES.stringNode(pick(TEMPLATES, in)), in);
                    maybe(o, "unit", NODES.stringNode(chance(50, in) ? "chars" : "words"), in);
                    int min = range(0, 20, in);
                    maybe(o, "min", NODES.numberNode(min), in);
                    maybe(o, "max", NODES.numberNode(min + range(0, 20, in)), in);
                    maybe(o, "falloff", NODES.numberNode(range(1, 10, in)), in);
                    if (chance(50, in)) {
                        int maxLength = range(1, 40, in);
                        ObjectNode ol = o.putObject("overlong");
                        ol.put("max_length", maxLength);
                        ol.put("cache", range(1, maxLength, in));
                    }
                }
                case 4 -> {
                    o.put("type", "string_check");
                    o.put("input", pick(TEMPLATES, in));
                    o.put("reference", pick(TEMPLATES, in));
                    o.put("operation", pick(List.of("eq", "ne", "like", "ilike"), in));
                }
                default -> {
                    o.put("type", "multi");
                    ObjectNode graders = o.putObject("graders");
                    ObjectNode weights = o.putObject("weights");
                    int n = range(1, 3, in);
                    for (int i = 0; i < n; i++) {
                        graders.set("k" + i, nested.generate(in));
                        weights.put("k" + i, pick(List.of(1.0, 0.5, -1.0, 0.0), in));
                    }
                }
            }
            return o;
        };
    }

    private static void maybe(ObjectNode o, String field, JsonNode value, RandomnessSource in) {
        if (chance(50, in)) {
            o.set(field, value);
        }
    }

    // ------------------------------------------------------------------ items and outputs

    static final List<String> OUTPUTS = List.of("", " ", "42", "-1e-3", "1,234,567.5", "answer: 42", "answer: x",
            "{\"a\":1}", "{\"a\":[{\"b\":\"x\"}]}", "[1,2]", "{", "\"str\"", "null", "1e999999999", "😀λ\u2212",
            "\uD800", "yes", "a".repeat(3_000) + "!", "{{item.answer}}", "{{sample.output_text}}");

    static Gen<String> output() {
        Gen<String> text = text();
        return in -> chance(50, in) ? pick(OUTPUTS, in) : text.generate(in);
    }

    /** An item: some of the fields templates name, with strings, numbers, lists, maps or null. */
    static Gen<Map<String, Object>> item() {
        Gen<String> out = output();
        return in -> {
            Map<String, Object> item = new HashMap<>();
            for (String field : List.of("answer", "n", "a", "q", "x", "text")) {
                if (chance(60, in)) {
                    item.put(field, switch (range(0, 5, in)) {
                        case 0, 1 -> out.generate(in);
                        case 2 -> range(-5, 5, in);
                        case 3 -> 0.5;
                        case 4 -> new ArrayList<>(List.of(1, "b"));
                        default -> null;
                    });
                }
            }
            return item;
        };
    }
}
