package dev.tropism.serving;

import dev.tropism.engine.serve.GenerationDelta;
import dev.tropism.engine.serve.GenerationListener;
import dev.tropism.engine.serve.GenerationResult;
import dev.tropism.serving.OpenAiResponses.ChatChunkChoice;
import dev.tropism.serving.OpenAiResponses.ChatLogprobs;
import dev.tropism.serving.OpenAiResponses.Completion;
import dev.tropism.serving.OpenAiResponses.CompletionLogprobs;
import dev.tropism.serving.OpenAiResponses.Delta;
import dev.tropism.serving.OpenAiResponses.TextChoice;
import dev.tropism.serving.OpenAiResponses.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Streaming completions: server-sent events in OpenAI's chunk format, {@code data: <chunk>\n\n} per
 * piece of text, a last chunk per choice carrying its {@code finish_reason}, a {@code usage} chunk when
 * {@code stream_options.include_usage}, then {@code data: [DONE]}. A client that goes away (a failed
 * write, an async error or timeout) cancels every generation of the request, which frees its batch slot
 * before the next decoding step.
 */
@Component
class CompletionStream {

    static final MediaType EVENT_STREAM = new MediaType("text", "event-stream", StandardCharsets.UTF_8);
    private static final MediaType UTF8_TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);
    /** Beyond the request timeout, time for the last chunks to be written. */
    private static final long SLACK_MILLIS = 30_000;

    private final CompletionService service;
    private final ServingProperties properties;
    private final JsonMapper json;

    CompletionStream(CompletionService service, ServingProperties properties, JsonMapper json) {
        this.service = service;
        this.properties = properties;
        this.json = json;
    }

    /** Submits every choice and returns the emitter their chunks go to; errors before that are thrown. */
    ResponseBodyEmitter stream(String teamId, CompletionParams p) {
        ResponseBodyEmitter emitter = new EventStreamEmitter(properties.requestTimeout().toMillis() + SLACK_MILLIS);
        String id = CompletionService.completionId(p);
        long created = Instant.now().getEpochSecond();
        Chunks chunks = new Chunks(id, created, p);
        if (p.chat()) {
            for (int k = 0; k < p.choices(); k++) { // OpenAI's first chat chunk of a choice announces the role
                send(emitter, chunks.role(k));
            }
        }
        int[] offsets = new int[p.choices()]; // completions logprobs: each choice's text_offset so far
        CompletionService.Submission s = service.submit(teamId, p, k -> new GenerationListener() {
            @Override
            public void onDelta(GenerationDelta delta) {
                int base = p.chat() ? 0 : p.prompts().get(k / p.n()).length(); // text_offset: completions only
                send(emitter, chunks.text(k, delta, base + offsets[k]));
                offsets[k] += delta.text().length();
            }
        });
        emitter.onTimeout(s::cancel);
        emitter.onError(e -> s.cancel());
        emitter.onCompletion(s::cancel); // after a normal end, cancelling finished requests does nothing
        s.results().whenComplete((results, failure) -> finish(emitter, chunks, s, results));
        return emitter;
    }

    private void finish(ResponseBodyEmitter emitter, Chunks chunks, CompletionService.Submission s,
            List<GenerationResult> results) {
        try {
            long completionTokens = 0;
            for (int k = 0; k < results.size(); k++) {
                send(emitter, chunks.finish(k, results.get(k)));
                completionTokens += results.get(k).completionTokens();
            }
            if (s.params().includeUsage()) {
                send(emitter, chunks.usage(Usage.of(s.promptTokenTotal(), completionTokens)));
            }
            emitter.send("data: [DONE]\n\n", UTF8_TEXT);
            emitter.complete();
        } catch (IOException | UncheckedIOException | IllegalStateException e) { // NOPMD: the client is gone
            emitter.completeWithError(e);
        }
    }

    /** Writes one event; a failed write means the client went away (the generator then cancels). */
    private void send(ResponseBodyEmitter emitter, Completion chunk) {
        try {
            emitter.send("data: " + json.writeValueAsString(chunk) + "\n\n", UTF8_TEXT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The chunks of one streamed request. */
    private record Chunks(String id, long created, CompletionParams p) {

        private Completion chunk(Object choice) {
            return new Completion(id, p.chat() ? OpenAiResponses.CHAT_COMPLETION_CHUNK : OpenAiResponses.TEXT_COMPLETION,
                    created, p.model(), choice == null ? List.of() : List.of(choice), null);
        }

        Completion role(int k) {
            return chunk(new ChatChunkChoice(k, new Delta("assistant", ""), null, null));
        }

        Completion text(int k, GenerationDelta d, int offset) {
            if (p.chat()) {
                return chunk(new ChatChunkChoice(k, new Delta(null, d.text()),
                        p.logprobs() ? ChatLogprobs.of(d.logprobs()) : null, null));
            }
            return chunk(new TextChoice(k, d.text(), p.logprobs() ? CompletionLogprobs.of(d.logprobs(), offset, true)
                    : null, null));
        }

        Completion finish(int k, GenerationResult r) {
            String reason = r.finishReason().wireName();
            return chunk(p.chat() ? new ChatChunkChoice(k, new Delta(null, null), null, reason)
                    : new TextChoice(k, "", null, reason));
        }

        Completion usage(Usage usage) {
            return new Completion(id, chunk(null).object(), created, p.model(), List.of(), usage);
        }
    }

    /** A body emitter whose response is {@code text/event-stream}, uncached and unbuffered by proxies. */
    private static final class EventStreamEmitter extends ResponseBodyEmitter {

        EventStreamEmitter(long timeoutMillis) {
            super(timeoutMillis);
        }

        @Override
        protected void extendResponse(ServerHttpResponse outputMessage) {
            super.extendResponse(outputMessage);
            outputMessage.getHeaders().setContentType(EVENT_STREAM);
            outputMessage.getHeaders().setCacheControl("no-cache");
            outputMessage.getHeaders().set("X-Accel-Buffering", "no");
        }
    }
}
