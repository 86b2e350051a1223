package dev.tropism.rewards.text;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiPredicate;
import tools.jackson.databind.JsonNode;

/**
 * {@code string_check}: 1.0 when {@code input <operation> reference} holds, else 0.0. Operations as in
 * OpenAI's string_check grader: {@code eq}, {@code ne}, {@code like} (contains, case-sensitive) and
 * {@code ilike} (contains, case-insensitive).
 */
public final class StringCheckGrader extends PerSampleGrader {

    enum Operation {
        EQ(String::equals),
        NE((a, b) -> !a.equals(b)),
        LIKE(String::contains),
        ILIKE((a, b) -> a.toLowerCase(Locale.ROOT).contains(b.toLowerCase(Locale.ROOT)));

        private final BiPredicate<String, String> test;

        Operation(BiPredicate<String, String> test) {
            this.test = test;
        }

        static Operation of(String name) {
            for (Operation o : values()) {
                if (o.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return o;
                }
            }
            return null;
        }
    }

    private final Template input;
    private final Template reference;
    private final Operation operation;

    StringCheckGrader(String name, Template input, Template reference, Operation operation) {
        super(name);
        this.input = input;
        this.reference = reference;
        this.operation = operation;
    }

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        return operation.test.test(input.render(sample), reference.render(sample)) ? 1.0 : 0.0;
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "input", "reference", "operation");

        @Override
        public String type() {
            return "string_check";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template input = ctx.template(node, "input", pointer);
            Template reference = ctx.template(node, "reference", pointer);
            String op = ctx.string(node, "operation", pointer);
            Operation operation = op == null ? null : Operation.of(op);
            if (op != null && operation == null) {
                ctx.violation(pointer + "/operation", "must be one of " + Arrays.stream(Operation.values())
                        .map(o -> o.name().toLowerCase(Locale.ROOT)).toList());
            }
            if (name == null || input == null || reference == null || operation == null) {
                return null;
            }
            return new StringCheckGrader(name, input, reference, operation);
        }
    }
}
