package dev.tropism.engine.serve;

/**
 * Receives a request's text as it is generated (server-sent events). Called on the generator's
 * decoding thread, in order, between decoding steps: it must return quickly (hand the delta to an
 * emitter, never block on a slow client), since the whole batch waits for it. An exception thrown here
 * is taken as "the client went away": the request ends with {@link FinishReason#CANCELLED} and is not
 * called again.
 */
@FunctionalInterface
public interface GenerationListener {

    /** No streaming: the caller only waits for {@link GenerationHandle#result()}. */
    GenerationListener NONE = delta -> {
    };

    void onDelta(GenerationDelta delta);
}
