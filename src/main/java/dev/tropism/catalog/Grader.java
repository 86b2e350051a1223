package dev.tropism.catalog;

import java.util.List;
import java.util.Map;

/**
 * A compiled grader: immutable and thread-safe. {@link #score} records its own score in
 * {@code subRewards} under {@link #name()} and reports problems in {@code errors} instead of throwing.
 */
interface Grader {

    String name();

    double score(Map<String, Object> item, String outputText, Map<String, Double> subRewards, List<String> errors);
}
