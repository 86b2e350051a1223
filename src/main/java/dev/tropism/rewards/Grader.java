package dev.tropism.rewards;

/**
 * A compiled grader: immutable and thread-safe. {@link #score} returns one finite score per sample,
 * records each score in {@link Outcomes} under {@link #name()} (its sub-reward), and reports
 * per-sample problems there instead of throwing.
 */
public interface Grader {

    String name();

    double[] score(GradingBatch batch, Outcomes out);
}
