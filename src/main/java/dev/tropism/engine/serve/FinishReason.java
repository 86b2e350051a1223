package dev.tropism.engine.serve;

import java.util.Locale;

/** Why a generation ended; {@link #wireName()} is the OpenAI-style {@code finish_reason}. */
public enum FinishReason {
    /** The model emitted EOS, or the text reached one of the request's stop strings (not included). */
    STOP,
    /** {@code max_tokens} completion tokens, or the model's context ({@code block_size}) is full. */
    LENGTH,
    /** {@link GenerationHandle#cancel()} was called, or the listener threw (the client went away). */
    CANCELLED,
    /** The request's timeout elapsed (counted from submission, queue wait included). */
    TIMEOUT,
    /** The step failed inside the engine, or the generator was closed; see {@link GenerationResult#error()}. */
    ERROR;

    /** Lower-case name as sent to clients: {@code stop}, {@code length}, {@code cancelled}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
