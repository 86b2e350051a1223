/**
 * Reward-model CI gates: evaluation suites ({@code /v1/eval-suites}), evaluations of a candidate reward spec or
 * reward model against a suite's thresholds ({@code /v1/evaluations}: a queued run with events, progress and
 * cancel), and their reports (JSON, JUnit XML, Markdown, the over-optimization curve). Implements the rewards
 * module's {@link dev.tropism.rewards.PromotionGate}.
 */
package dev.tropism.evaluations;
