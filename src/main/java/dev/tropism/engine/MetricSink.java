package dev.tropism.engine;

/** Receives free-form progress lines from long engine operations (e.g. a demo's console). */
@FunctionalInterface
public interface MetricSink {
    void log(String line);

    MetricSink NONE = line -> { };
}
