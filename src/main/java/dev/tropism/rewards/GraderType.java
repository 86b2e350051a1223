package dev.tropism.rewards;

import tools.jackson.databind.JsonNode;

/** One kind of grader ({@code "type"} in the grader JSON): validates and compiles its JSON. */
public interface GraderType {

    /** The {@code type} value this handles, e.g. {@code string_check}. */
    String type();

    /**
     * Compiles {@code node} (already known to be an object with this type); every problem is added to
     * {@code ctx} with its JSON pointer (relative to {@code pointer}). The result is only used when
     * {@code ctx} collected no violation.
     */
    Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx);
}
