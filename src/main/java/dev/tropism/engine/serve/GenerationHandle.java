package dev.tropism.engine.serve;

import java.util.concurrent.CompletableFuture;

/**
 * A submitted request. {@link #result()} always completes normally, with exactly one
 * {@link GenerationResult} (errors are a {@link FinishReason#ERROR} result, not an exceptional
 * future). It completes on the decoding thread right after the last {@link GenerationDelta}, so
 * dependent stages should be async or quick.
 */
public final class GenerationHandle {

    private final long id;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final Generator generator;
    private volatile boolean cancelled;

    GenerationHandle(long id, Generator generator) {
        this.id = id;
        this.generator = generator;
    }

    /** Sequence number of the request within its generator, from 1. */
    public long id() {
        return id;
    }

    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /**
     * Stops the request (the streaming client disconnected): a waiting request ends at once, a running
     * one before the next decoding step, with {@link FinishReason#CANCELLED} and the text so far.
     * Idempotent; does nothing once the request has finished.
     */
    public void cancel() {
        cancelled = true;
        generator.cancelQueued(this);
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public boolean isDone() {
        return result.isDone();
    }
}
