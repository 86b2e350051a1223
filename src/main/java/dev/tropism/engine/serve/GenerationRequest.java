package dev.tropism.engine.serve;

import static dev.tropism.engine.ConfigException.require;

import java.time.Duration;
import java.util.List;

/**
 * One completion to generate, with the OpenAI completions options the engine implements. Invalid
 * values fail in the constructor with a {@link dev.tropism.engine.ConfigException} naming the
 * snake_case field, so the service answers 422 with a JSON pointer. Parallel samples ({@code n}) are
 * {@code n} requests with different seeds.
 *
 * @param prompt the text to continue; the model reads BOS + its tokens, which must leave room for at
 *     least one new token in the context ({@link Generator#submit} checks that against the model)
 * @param maxTokens at most this many generated tokens (≥ 1); OpenAI's completions default is 16
 * @param temperature softmax temperature in [0, 2]; 0 = greedy decoding (argmax, no randomness)
 * @param topP nucleus sampling mass in (0, 1] (Holtzman et al. 2020); 1 = off; ignored when greedy
 * @param stop up to 4 non-empty strings; generation ends before the first occurrence of any of them in
 *     the completion, which is cut there (the stop string is not returned) with finish reason {@code stop}
 * @param seed seed of the request's own {@link java.util.Random}; null = drawn at submission (and
 *     reported in the result). The same seed gives the same completion alone or batched
 * @param logprobs return the log-probability of every chosen token
 * @param topLogprobs also return the this many most likely alternatives at each position, in [0, 5];
 *     needs {@code logprobs}
 * @param timeout the whole request's time limit counted from submission, queue wait included; null =
 *     none. When it elapses the request ends with what it has, finish reason {@code timeout}
 */
public record GenerationRequest(String prompt, int maxTokens, double temperature, double topP, List<String> stop,
        Long seed, boolean logprobs, int topLogprobs, Duration timeout) {

    /** OpenAI's default {@code max_tokens} for completions. */
    public static final int DEFAULT_MAX_TOKENS = 16;
    /** Most stop strings per request, as in the OpenAI API. */
    public static final int MAX_STOP = 4;
    /** Most alternatives per position, as in the OpenAI completions API. */
    public static final int MAX_TOP_LOGPROBS = 5;

    public GenerationRequest {
        require(prompt != null, "prompt", "is required");
        require(maxTokens >= 1, "max_tokens", "must be at least 1, got " + maxTokens);
        require(Double.isFinite(temperature) && temperature >= 0 && temperature <= 2, "temperature",
                "must be in [0, 2], got " + temperature);
        require(Double.isFinite(topP) && topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
        stop = stop == null ? List.of() : List.copyOf(stop);
        require(stop.size() <= MAX_STOP, "stop", "at most " + MAX_STOP + " strings, got " + stop.size());
        for (int i = 0; i < stop.size(); i++) {
            require(!stop.get(i).isEmpty(), "stop", "entry " + i + " is empty");
        }
        require(topLogprobs >= 0 && topLogprobs <= MAX_TOP_LOGPROBS, "top_logprobs",
                "must be in [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        require(topLogprobs == 0 || logprobs, "top_logprobs", "needs logprobs to be on");
        require(timeout == null || !timeout.isNegative() && !timeout.isZero(), "timeout",
                "must be positive, got " + timeout);
    }

    /** A request with the defaults: 16 tokens, temperature 1, top_p 1, no stop, random seed, no logprobs. */
    public static Builder builder(String prompt) {
        return new Builder(prompt);
    }

    /** True for greedy decoding (temperature 0). */
    public boolean greedy() {
        return temperature == 0;
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final String prompt;
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private double temperature = 1.0;
        private double topP = 1.0;
        private List<String> stop = List.of();
        private Long seed;
        private boolean logprobs;
        private int topLogprobs;
        private Duration timeout;

        private Builder(String prompt) {
            this.prompt = prompt;
        }

        public Builder maxTokens(int v) {
            maxTokens = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder topP(double v) {
            topP = v;
            return this;
        }

        public Builder stop(List<String> v) {
            stop = v;
            return this;
        }

        public Builder seed(Long v) {
            seed = v;
            return this;
        }

        /** Chosen-token log-probabilities plus {@code top} alternatives per position (0 for none). */
        public Builder logprobs(int top) {
            logprobs = true;
            topLogprobs = top;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(prompt, maxTokens, temperature, topP, stop, seed, logprobs, topLogprobs,
                    timeout);
        }
    }
}
