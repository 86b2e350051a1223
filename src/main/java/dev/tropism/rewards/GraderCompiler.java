package dev.tropism.rewards;

import dev.tropism.rewards.composite.GatedGrader;
import dev.tropism.rewards.composite.MultiGrader;
import dev.tropism.rewards.composite.ShapedGrader;
import dev.tropism.rewards.image.ImageStatGrader;
import dev.tropism.rewards.model.LikelihoodGrader;
import dev.tropism.rewards.text.ChecksGrader;
import dev.tropism.rewards.text.JsonGrader;
import dev.tropism.rewards.text.LengthGrader;
import dev.tropism.rewards.text.NumericGrader;
import dev.tropism.rewards.text.RegexGrader;
import dev.tropism.rewards.text.StringCheckGrader;
import dev.tropism.rewards.text.TextSimilarityGrader;
import dev.tropism.web.JsonPointers;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/** The registry of grader types: turns grader JSON into a {@link Grader} or every violation found. */
public final class GraderCompiler {

    /** Compiling {@code grader} either gave {@code grader} (no violations) or violations. */
    record Result(Grader grader, Set<String> itemFields, List<Violation> violations) {

        boolean valid() {
            return violations.isEmpty();
        }
    }

    private final Map<String, GraderType> types = new LinkedHashMap<>();

    GraderCompiler(List<GraderType> types) {
        for (GraderType t : types) {
            this.types.put(t.type(), t);
        }
    }

    static GraderCompiler standard() {
        return new GraderCompiler(List.of(new StringCheckGrader.Type(), new MultiGrader.Type(),
                new RegexGrader.Type(), new NumericGrader.Type(), new JsonGrader.Type(), new LengthGrader.Type(),
                new TextSimilarityGrader.Type(), new ChecksGrader.Type(), new GatedGrader.Type(),
                new LikelihoodGrader.Type(), new ShapedGrader.Type(), new ImageStatGrader.Type()));
    }

    /**
     * The standard types plus {@code extra}: types that need Spring-configured dependencies (e.g.
     * {@code webhook}) and are therefore beans rather than entries of {@link #standard()}.
     */
    static GraderCompiler standard(List<GraderType> extra) {
        GraderCompiler compiler = standard();
        for (GraderType t : extra) {
            compiler.types.put(t.type(), t);
        }
        return compiler;
    }

    Result compile(JsonNode grader, String pointer) {
        return compile(grader, pointer, null, false);
    }

    /** Compiles a new spec of team {@code teamId} (graders that name team resources check them). */
    Result compile(JsonNode grader, String pointer, String teamId) {
        return compile(grader, pointer, teamId, false);
    }

    /**
     * Compiles a spec that was valid when it was stored. Checks against server configuration that may
     * have changed since (a webhook's host allow-list) are skipped here, because graders repeat them at
     * call time and report a per-sample error instead: a stored spec keeps compiling.
     */
    Result compileStored(JsonNode grader, String pointer, String teamId) {
        return compile(grader, pointer, teamId, true);
    }

    private Result compile(JsonNode grader, String pointer, String teamId, boolean stored) {
        Context ctx = new Context(teamId, stored);
        Grader g = ctx.grader(grader, pointer);
        return new Result(ctx.violations.isEmpty() ? g : null, Collections.unmodifiableSet(ctx.itemFields),
                List.copyOf(ctx.violations));
    }

    /**
     * How deep graders may nest (a top-level grader is depth 1). Deeper specs are rejected: they are
     * never needed in practice and would let one spec make scoring arbitrarily slow.
     */
    static final int MAX_DEPTH = 8;

    /** State of one compilation, handed to grader types. */
    public final class Context {

        private final List<Violation> violations = new ArrayList<>();
        private final Set<String> itemFields = new TreeSet<>();
        /** Grader names seen so far: names become metric names, so they are unique within a spec. */
        private final Set<String> names = new java.util.HashSet<>();
        private final String teamId;
        private final boolean stored;
        private int depth;

        /** A context for a new spec of no team (template parsing in tests). */
        Context() {
            this(null, false);
        }

        private Context(String teamId, boolean stored) {
            this.teamId = teamId;
            this.stored = stored;
        }

        /** The team the spec belongs to; null when compiled without one (validation in tests). */
        public String teamId() {
            return teamId;
        }

        /** True when compiling a stored spec (see {@link GraderCompiler#compileStored}). */
        public boolean stored() {
            return stored;
        }

        public void violation(String pointer, String reason) {
            violations.add(new Violation(pointer, reason));
        }

        void itemField(String field) {
            itemFields.add(field);
        }

        /** Compiles a nested grader object at {@code pointer}; null when it has violations. */
        public Grader grader(JsonNode node, String pointer) {
            if (node == null || node.isNull() || node.isMissingNode()) {
                violation(pointer, "is required");
                return null;
            }
            if (!node.isObject()) {
                violation(pointer, "must be an object");
                return null;
            }
            JsonNode typeNode = node.get("type");
            if (typeNode == null || !typeNode.isString()) {
                violation(pointer + "/type", "is required and must be one of " + types.keySet());
                return null;
            }
            GraderType type = types.get(typeNode.asString());
            if (type == null) {
                violation(pointer + "/type", "unknown grader type '" + typeNode.asString() + "'; expected one of "
                        + types.keySet());
                return null;
            }
            if (depth >= MAX_DEPTH) {
                violation(pointer, "graders nest deeper than " + MAX_DEPTH + " levels");
                return null;
            }
            depth++;
            try {
                return type.compile(node, pointer, this);
            } finally {
                depth--;
            }
        }

        private static final java.util.regex.Pattern GRADER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

        /** A required non-blank string field, or null (with a violation). */
        public String string(JsonNode node, String field, String pointer) {
            JsonNode v = stringNode(node, field, pointer);
            if (v != null && v.asString().isBlank()) {
                violation(JsonPointers.child(pointer, field), "must not be blank");
                return null;
            }
            return v == null ? null : v.asString();
        }

        /**
         * A grader's {@code name}: it becomes part of metric names ({@code train/reward/<name>/mean}), so
         * it is limited to 1–64 letters, digits, '_', '.' or '-'.
         */
        public String name(JsonNode node, String pointer) {
            String name = string(node, "name", pointer);
            if (name != null && !GRADER_NAME.matcher(name).matches()) {
                violation(JsonPointers.child(pointer, "name"), "must be 1 to 64 letters, digits, '_', '.' or '-'");
                return null;
            }
            if (name != null && !names.add(name)) {
                violation(JsonPointers.child(pointer, "name"), "duplicate grader name '" + name
                        + "'; names are metric names and must be unique within a spec");
                return null;
            }
            return name;
        }

        /**
         * A grader's optional {@code name}: as {@link #name(JsonNode, String)} when given, else
         * {@code fallback} (which must still be unique within the spec).
         */
        public String name(JsonNode node, String pointer, String fallback) {
            if (!GraderOptions.absent(node, "name")) {
                return name(node, pointer);
            }
            if (!names.add(fallback)) {
                violation(JsonPointers.child(pointer, "name"), "the default name '" + fallback
                        + "' is taken by another grader of this spec; give this one a name");
                return null;
            }
            return fallback;
        }

        /** The field when it is a string, else null (with a violation). */
        private JsonNode stringNode(JsonNode node, String field, String pointer) {
            JsonNode v = node.get(field);
            String p = JsonPointers.child(pointer, field);
            if (v == null || v.isNull()) {
                violation(p, "is required");
                return null;
            }
            if (!v.isString()) {
                violation(p, "must be a string");
                return null;
            }
            return v;
        }

        /** Flags every field of {@code node} not in {@code allowed}. */
        public void onlyFields(JsonNode node, String pointer, Set<String> allowed) {
            for (String name : node.propertyNames()) {
                if (!allowed.contains(name)) {
                    violation(JsonPointers.child(pointer, name), "unknown field");
                }
            }
        }

        /** A template field: a string whose placeholders are all allowed. */
        public Template template(JsonNode node, String field, String pointer) {
            JsonNode v = stringNode(node, field, pointer);
            return v == null ? null : Template.parse(v.asString(), JsonPointers.child(pointer, field), this);
        }
    }
}
