/**
 * The ML engine: a plain Java library on DJL (PyTorch engine). It knows nothing of HTTP, databases
 * or Spring (a test enforces it); the service orchestrates it through the types in this package.
 *
 * <p>Public face: {@link dev.tropism.engine.Engine} opens {@link dev.tropism.engine.TrainingRun}s,
 * {@link dev.tropism.engine.RewardFunction} is how the service plugs graders in,
 * {@link dev.tropism.engine.MetricNames} holds every metric name. Sub-packages are internals
 * ({@code lm}: the autoregressive family; {@code rl}: alignment methods; {@code nn}: shared blocks).
 */
package dev.tropism.engine;
