package dev.tropism.serving;

import dev.tropism.engine.flow.SteeringConfig;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Validates {@code POST /v1/images/generations} bodies: every field type- and range-checked with its
 * parameter name in the OpenAI error; unknown fields are rejected.
 */
final class ImageRequests {

    static final Set<String> FIELDS = Set.of("model", "prompt", "n", "seed", "response_format", "guidance_scale",
            "steps", "steering", "user");
    static final List<String> RESPONSE_FORMATS = List.of("b64_json", "url");
    static final List<String> STEERING_TYPES = List.of("fk", "best_of_n");
    static final Set<String> STEERING_FIELDS = Set.of("type", "reward_spec", "particles", "potential", "lambda",
            "resample_interval", "ess_threshold");
    /** Fields of Feynman–Kac steering only. */
    static final Set<String> FK_FIELDS = Set.of("potential", "lambda", "resample_interval", "ess_threshold");
    static final List<String> POTENTIALS = List.of("diff", "max", "add");
    static final int MAX_PROMPT_CHARS = 1000;
    static final int MAX_STEPS = 1000;
    static final double MAX_GUIDANCE = 50;
    static final int MAX_PARTICLES = 64;

    private ImageRequests() {
    }

    /**
     * A validated request.
     *
     * @param prompt the class name to generate
     * @param seed null = random
     * @param guidanceScale classifier-free guidance weight, [0, 50]; null = the model's default
     * @param steps Euler steps of the flow, [1, 1000]; null = the model's default
     * @param steering null, or fk (Feynman-Kac particles) / best_of_n against a reward spec
     */
    record ImageParams(String model, String prompt, int n, Long seed, String responseFormat, Double guidanceScale,
            Integer steps, Steering steering) {
    }

    /**
     * Inference-time steering towards a reward spec, with {@code particles} candidates per image; the other
     * fields are Feynman–Kac's ({@code SteeringConfig}), at its defaults for {@code best_of_n}.
     */
    record Steering(String type, String rewardSpec, int particles, String potential, double lambda,
            int resampleInterval, double essThreshold) {
    }

    static ImageParams parse(JsonNode body, int maxN) {
        for (String name : body.propertyNames()) {
            if (!FIELDS.contains(name)) {
                throw OpenAiException.invalid(name, "Unrecognized request argument supplied: " + name);
            }
        }
        String model = string(body, "model", "'model' is required: a model id or a checkpoint id (ckpt_...).");
        String prompt = string(body, "prompt", "'prompt' is required: the class name to generate.");
        if (prompt.length() > MAX_PROMPT_CHARS) {
            throw OpenAiException.invalid("prompt", "'prompt' may have at most " + MAX_PROMPT_CHARS + " characters.");
        }
        int n = OpenAiRequests.intField(body, "n", 1, 1, maxN);
        Long seed = OpenAiRequests.seed(body);
        String format = "b64_json";
        JsonNode f = body.get("response_format");
        if (f != null && !f.isNull()) {
            if (!f.isString() || !RESPONSE_FORMATS.contains(f.stringValue())) {
                throw OpenAiException.invalid("response_format", "'response_format' must be one of " + RESPONSE_FORMATS
                        + ".");
            }
            format = f.stringValue();
        }
        Double guidance = body.hasNonNull("guidance_scale")
                ? OpenAiRequests.number(body, "guidance_scale", 0, 0, MAX_GUIDANCE) : null;
        Integer steps = OpenAiRequests.optionalInt(body, "steps", 1, MAX_STEPS);
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isString()) {
            throw OpenAiException.invalid("user", "'user' must be a string.");
        }
        return new ImageParams(model, prompt, n, seed, format, guidance, steps, steering(body.get("steering")));
    }

    private static Steering steering(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw OpenAiException.invalid("steering", "'steering' must be an object with 'type' and 'reward_spec'.");
        }
        for (String name : node.propertyNames()) {
            if (name.equals("temperature")) {
                // λ is the potential's inverse temperature; one knob, under the paper's name (SteeringConfig).
                throw OpenAiException.invalid("steering.temperature", "'steering.temperature' is not supported: set"
                        + " 'steering.lambda', the potential's inverse temperature (λ = 1/temperature; default 10).");
            }
            if (!STEERING_FIELDS.contains(name)) {
                throw OpenAiException.invalid("steering." + name, "Unrecognized steering option: " + name);
            }
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isString() || !STEERING_TYPES.contains(type.stringValue())) {
            throw OpenAiException.invalid("steering.type", "'steering.type' must be one of " + STEERING_TYPES + ".");
        }
        if (type.stringValue().equals(SteeringConfig.BEST_OF_N)) {
            for (String name : FK_FIELDS) {
                if (node.hasNonNull(name)) {
                    throw OpenAiException.invalid("steering." + name, "'steering." + name + "' applies to type 'fk'"
                            + " only; best_of_n draws independent samples and keeps the best.");
                }
            }
        }
        JsonNode spec = node.get("reward_spec");
        if (spec == null || !spec.isString() || !spec.stringValue().startsWith("rs_")
                || spec.stringValue().length() > 40) {
            throw OpenAiException.invalid("steering.reward_spec", "'steering.reward_spec' must be a reward spec id (rs_...).");
        }
        SteeringConfig fk = SteeringConfig.fk(4);
        int particles;
        double lambda;
        int interval;
        double ess;
        try {
            particles = OpenAiRequests.intField(node, "particles", 4, 1, MAX_PARTICLES);
            lambda = OpenAiRequests.number(node, "lambda", fk.lambda(), 0, 1000);
            interval = OpenAiRequests.intField(node, "resample_interval", fk.resampleInterval(), 1, MAX_STEPS);
            ess = OpenAiRequests.number(node, "ess_threshold", fk.essThreshold(), 0, 1);
        } catch (OpenAiException e) {
            throw OpenAiException.invalid("steering." + e.param(), "'steering." + e.getMessage().substring(1));
        }
        String potential = fk.potential();
        JsonNode pot = node.get("potential");
        if (pot != null && !pot.isNull()) {
            if (!pot.isString() || !POTENTIALS.contains(pot.stringValue())) {
                throw OpenAiException.invalid("steering.potential", "'steering.potential' must be one of " + POTENTIALS
                        + ".");
            }
            potential = pot.stringValue();
        }
        return new Steering(type.stringValue(), spec.stringValue(), particles, potential, lambda, interval, ess);
    }

    /** The engine's steering settings of a validated request. */
    static SteeringConfig config(Steering s) {
        SteeringConfig fk = SteeringConfig.fk(s.particles());
        return new SteeringConfig(s.type(), s.particles(), s.potential(), s.lambda(), s.resampleInterval(),
                s.essThreshold(), fk.noiseLevel());
    }

    private static String string(JsonNode body, String name, String message) {
        JsonNode v = body.get(name);
        if (v == null || !v.isString() || v.stringValue().isBlank()) {
            throw OpenAiException.invalid(name, message);
        }
        return v.stringValue();
    }
}
