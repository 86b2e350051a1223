package dev.tropism.serving;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.serve.FinishReason;
import dev.tropism.engine.serve.GenerationHandle;
import dev.tropism.engine.serve.GenerationListener;
import dev.tropism.engine.serve.GenerationRequest;
import dev.tropism.engine.serve.GenerationResult;
import dev.tropism.engine.serve.QueueFullException;
import dev.tropism.models.ModelRecord;
import dev.tropism.serving.OpenAiResponses.ChatChoice;
import dev.tropism.serving.OpenAiResponses.ChatLogprobs;
import dev.tropism.serving.OpenAiResponses.Completion;
import dev.tropism.serving.OpenAiResponses.CompletionLogprobs;
import dev.tropism.serving.OpenAiResponses.Message;
import dev.tropism.serving.OpenAiResponses.TextChoice;
import dev.tropism.serving.OpenAiResponses.Usage;
import dev.tropism.usage.UsageRecorder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Completions and chat completions on the caller's served model: validates a request against the
 * model's context, submits one generation per choice to the model's continuous-batching generator, and
 * renders the results in OpenAI's shapes. Choice {@code k} (prompt {@code k / n}, sample {@code k % n})
 * samples with seed {@code seed + k}, so {@code n} choices of one seeded request differ from each other
 * and each is reproducible alone.
 */
@Service
public class CompletionService {

    /** Generations ended, tagged {@code finish_reason} ({@code stop}, {@code length}, {@code cancelled}, ...). */
    public static final String GENERATIONS_METRIC = "tropism.serving.generations";
    /** Tokens read and generated, tagged {@code team}, {@code model} and {@code kind} (prompt | completion). */
    public static final String TOKENS_METRIC = "tropism.serving.tokens";

    private final ServedModels served;
    private final ServingProperties properties;
    private final MeterRegistry meters;
    private final UsageRecorder usage;

    public CompletionService(ServedModels served, ServingProperties properties, MeterRegistry meters,
            UsageRecorder usage) {
        this.served = served;
        this.properties = properties;
        this.meters = meters;
        this.usage = usage;
    }

    /**
     * The generations of one request, in choice order, running on a leased model. The lease is released
     * when every generation has ended.
     *
     * @param promptTokens per prompt: BOS + its tokens
     */
    record Submission(String id, long created, CompletionParams params, List<GenerationHandle> handles,
            int[] promptTokens, CompletableFuture<List<GenerationResult>> results) {

        /** Stops every generation (the client went away). */
        void cancel() {
            handles.forEach(GenerationHandle::cancel);
        }

        long promptTokenTotal() {
            long sum = 0;
            for (int t : promptTokens) {
                sum += t;
            }
            return sum;
        }
    }

    /**
     * Resolves the model, checks the prompts and {@code max_tokens} against its context, and submits
     * every choice; {@code listeners} gives choice {@code k}'s stream listener.
     *
     * @throws OpenAiException 404/400 for the model, 400 for a prompt or {@code max_tokens} beyond the
     *     context, 429 (with a Retry-After) when the model's queue is full, 503 when it cannot load
     */
    Submission submit(String teamId, CompletionParams p, IntFunction<GenerationListener> listeners) {
        ModelRecord record = served.resolve(teamId, p.model());
        ServedModels.Lease lease = served.acquire(record);
        List<GenerationHandle> handles = new ArrayList<>();
        try {
            LanguageModel model = lease.model();
            int block = model.lm().contextLength();
            List<String> prompts = p.prompts(model.chatFormat()); // a chat through the model's own template
            int[] promptTokens = new int[prompts.size()];
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                promptTokens[i] = model.tokenizer().encode(prompts.get(i)).length + 1; // BOS + the prompt
                int maxTokens = maxTokens(p, promptTokens[i], block);
                for (int c = 0; c < p.n(); c++) {
                    int k = i * p.n() + c;
                    GenerationRequest.Builder b = GenerationRequest.builder(prompts.get(i)).maxTokens(maxTokens)
                            .temperature(p.temperature()).topP(p.topP()).stop(p.stop())
                            .seed(p.seed() == null ? null : p.seed() + k).timeout(properties.requestTimeout());
                    if (p.logprobs()) {
                        b.logprobs(p.topLogprobs());
                    }
                    requests.add(b.build());
                }
            }
            for (int k = 0; k < requests.size(); k++) {
                handles.add(lease.generator().submit(requests.get(k), listeners.apply(k)));
            }
            CompletableFuture<List<GenerationResult>> results = CompletableFuture
                    .allOf(handles.stream().map(GenerationHandle::result).toArray(CompletableFuture[]::new))
                    .thenApply(v -> handles.stream().map(h -> h.result().join()).toList());
            Submission submission = new Submission(completionId(p), Instant.now().getEpochSecond(), p,
                    List.copyOf(handles), promptTokens, results);
            results.whenComplete((r, e) -> {
                lease.close();
                if (r != null) {
                    count(teamId, record.id(), submission, r);
                }
            });
            return submission;
        } catch (RuntimeException e) { // NOPMD: whatever failed, the submitted part must not run on or leak
            handles.forEach(GenerationHandle::cancel);
            CompletableFuture.allOf(handles.stream().map(GenerationHandle::result).toArray(CompletableFuture[]::new))
                    .whenComplete((v, t) -> lease.close());
            throw translate(e);
        }
    }

    /**
     * Metrics and the team's daily usage of a request whose generations have all ended, however they
     * ended: a cancelled stream counts the tokens it actually produced.
     */
    private void count(String teamId, String modelId, Submission s, List<GenerationResult> results) {
        long completion = 0;
        for (GenerationResult r : results) {
            meters.counter(GENERATIONS_METRIC, "finish_reason", r.finishReason().wireName()).increment();
            completion += r.completionTokens();
        }
        meters.counter(TOKENS_METRIC, "team", teamId, "model", modelId, "kind", "prompt")
                .increment(s.promptTokenTotal());
        meters.counter(TOKENS_METRIC, "team", teamId, "model", modelId, "kind", "completion").increment(completion);
        usage.record(teamId, modelId, s.promptTokenTotal(), completion, 0);
    }

    private static int maxTokens(CompletionParams p, int promptTokens, int block) {
        int room = block - promptTokens; // new tokens that fit in the context after BOS + prompt
        if (room < 1) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST,
                    p.chat() ? "messages" : "prompt", "context_length_exceeded", "This model's maximum context length is "
                    + block + " tokens, and the prompt has " + promptTokens + " (with BOS), which leaves no room for a"
                    + " completion; shorten the prompt to at most " + (block - 2) + " tokens.", null);
        }
        if (p.maxTokens() == null) {
            return p.chat() ? room : Math.min(GenerationRequest.DEFAULT_MAX_TOKENS, room);
        }
        if (p.maxTokens() > room) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "max_tokens",
                    "context_length_exceeded", "This model's maximum context length is " + block + " tokens; you"
                    + " requested " + (promptTokens + p.maxTokens()) + " (" + promptTokens + " in the prompt with BOS, "
                    + p.maxTokens() + " for the completion). Reduce max_tokens to at most " + room + ".", null);
        }
        return p.maxTokens();
    }

    private static RuntimeException translate(RuntimeException e) {
        if (e instanceof QueueFullException) {
            QueueFullException q = (QueueFullException) e;
            return new OpenAiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", null, "queue_full",
                    q.getMessage(), q.retryAfter());
        }
        if (e instanceof ConfigException) {
            ConfigException c = (ConfigException) e;
            return OpenAiException.invalid(c.field(), "'" + c.field() + "' " + c.reason());
        }
        if (e instanceof IllegalStateException) { // the generator closed under us: shutdown
            return new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", null, "model_unavailable",
                    "The model is shutting down; retry.", null);
        }
        return e;
    }

    /** A response id as OpenAI forms them: {@code chatcmpl-…} or {@code cmpl-…}. */
    static String completionId(CompletionParams p) {
        return dev.tropism.web.Ids.newId(p.chat() ? "chatcmpl-" : "cmpl-");
    }

    /** A whole (non-streaming) response once every choice has ended. */
    CompletableFuture<Completion> complete(String teamId, CompletionParams p) {
        Submission s = submit(teamId, p, k -> GenerationListener.NONE);
        return s.results().thenApply(results -> render(s, results));
    }

    private static Completion render(Submission s, List<GenerationResult> results) {
        if (results.stream().allMatch(r -> r.finishReason() == FinishReason.ERROR)) {
            throw new OpenAiException(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, "generation_failed",
                    "Generation failed: " + results.get(0).error(), null);
        }
        CompletionParams p = s.params();
        List<Object> choices = new ArrayList<>();
        long completionTokens = 0;
        for (int k = 0; k < results.size(); k++) {
            GenerationResult r = results.get(k);
            completionTokens += r.completionTokens();
            if (p.chat()) {
                choices.add(new ChatChoice(k, new Message("assistant", r.text()),
                        p.logprobs() ? ChatLogprobs.of(r.logprobs()) : null, r.finishReason().wireName()));
            } else {
                int offset = p.prompts().get(k / p.n()).length();
                choices.add(new TextChoice(k, r.text(),
                        p.logprobs() ? CompletionLogprobs.of(r.logprobs(), offset, true) : null,
                        r.finishReason().wireName()));
            }
        }
        return new Completion(s.id(), p.chat() ? OpenAiResponses.CHAT_COMPLETION : OpenAiResponses.TEXT_COMPLETION,
                s.created(), p.model(), choices, Usage.of(s.promptTokenTotal(), completionTokens));
    }
}
