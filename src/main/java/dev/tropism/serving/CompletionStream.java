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
 *
 * <p>Events are written off the decoding thread, in order, by a per-stream {@link EventWriter} on a shared
 * pool: a client that reads slowly must not stall the forward passes of every other request in the batch.
 * One that falls more than {@value #MAX_PENDING} events behind is cancelled.
 */
@Component
class CompletionStream implements AutoCloseable {

    static final MediaType EVENT_STREAM = new MediaType("text", "event-stream", StandardCharsets.UTF_8);
    private static final MediaType UTF8_TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);
    /** Beyond the request timeout, time for the last chunks to be written. */
    private static final long SLACK_MILLIS = 30_000;
    /** Events a stream may have waiting to be written before its client counts as gone. */
    static final int MAX_PENDING = 4096;
    private static final Object COMPLETE = new Object();

    private final java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newCachedThreadPool(
            new org.springframework.scheduling.concurrent.CustomizableThreadFactory("serving-sse-"));

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
        java.util.concurrent.atomic.AtomicReference<Runnable> cancel = new java.util.concurrent.atomic.AtomicReference<>(() -> { });
        EventWriter writer = new EventWriter(emitter, () -> cancel.get().run());
        String id = CompletionService.completionId(p);
        long created = Instant.now().getEpochSecond();
        Chunks chunks = new Chunks(id, created, p);
        if (p.chat()) {
            for (int k = 0; k < p.choices(); k++) { // OpenAI's first chat chunk of a choice announces the role
                send(writer, chunks.role(k));
            }
        }
        int[] offsets = new int[p.choices()]; // completions logprobs: each choice's text_offset so far
        CompletionService.Submission s = service.submit(teamId, p, k -> new GenerationListener() {
            @Override
            public void onDelta(GenerationDelta delta) {
                int base = p.chat() ? 0 : p.prompts().get(k / p.n()).length(); // text_offset: completions only
                send(writer, chunks.text(k, delta, base + offsets[k]));
                offsets[k] += delta.text().length();
            }
        });
        cancel.set(s::cancel);
        emitter.onTimeout(s::cancel);
        emitter.onError(e -> s.cancel());
        emitter.onCompletion(s::cancel); // after a normal end, cancelling finished requests does nothing
        s.results().whenComplete((results, failure) -> finish(writer, chunks, s, results));
        return emitter;
    }

    private void finish(EventWriter writer, Chunks chunks, CompletionService.Submission s, List<GenerationResult> results) {
        long completionTokens = 0;
        for (int k = 0; k < results.size(); k++) {
            send(writer, chunks.finish(k, results.get(k)));
            completionTokens += results.get(k).completionTokens();
        }
        if (s.params().includeUsage()) {
            send(writer, chunks.usage(Usage.of(s.promptTokenTotal(), completionTokens)));
        }
        writer.send("data: [DONE]\n\n");
        writer.complete();
    }

    private void send(EventWriter writer, Completion chunk) {
        writer.send("data: " + json.writeValueAsString(chunk) + "\n\n");
    }

    @Override
    @jakarta.annotation.PreDestroy
    public void close() {
        writers.shutdownNow();
    }

    /**
     * Writes one stream's events in order on the shared pool (at most one drain task per stream at a
     * time). A failed write, or a client more than {@link #MAX_PENDING} events behind, cancels the
     * stream's generations and ends the response with an error.
     */
    private final class EventWriter {

        private final ResponseBodyEmitter emitter;
        private final Runnable onFailure;
        private final java.util.concurrent.ConcurrentLinkedQueue<Object> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean failed;

        EventWriter(ResponseBodyEmitter emitter, Runnable onFailure) {
            this.emitter = emitter;
            this.onFailure = onFailure;
        }

        void send(String event) {
            if (failed) {
                return;
            }
            if (pending.incrementAndGet() > MAX_PENDING) {
                fail(new IOException("the client fell more than " + MAX_PENDING + " events behind"));
                return;
            }
            queue.add(event);
            schedule();
        }

        void complete() {
            queue.add(COMPLETE);
            schedule();
        }

        private void schedule() {
            if (!failed && draining.compareAndSet(false, true)) {
                try {
                    writers.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException e) { // shutting down
                    draining.set(false);
                    fail(e);
                }
            }
        }

        private void drain() {
            try {
                for (Object e = queue.poll(); e != null && !failed; e = queue.poll()) {
                    if (e == COMPLETE) {
                        emitter.complete();
                    } else {
                        pending.decrementAndGet();
                        emitter.send(e, UTF8_TEXT);
                    }
                }
            } catch (IOException | RuntimeException e) { // the client went away
                fail(e);
            } finally {
                draining.set(false);
            }
            if (!queue.isEmpty() && !failed) {
                schedule(); // an event added after the loop's last poll
            }
        }

        private void fail(Exception e) {
            if (failed) {
                return;
            }
            failed = true;
            queue.clear();
            onFailure.run();
            try {
                emitter.completeWithError(e);
            } catch (RuntimeException ignored) { // already completed
            }
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
