/**
 * Reward specs and the graders they compile to.
 *
 * <ul>
 *   <li>This package: the spec service and REST API, the {@link dev.tropism.rewards.RewardSpecCatalog} port other
 *       modules read specs through, the grader SPI ({@link dev.tropism.rewards.Grader},
 *       {@link dev.tropism.rewards.GraderType}, {@link dev.tropism.rewards.PerSampleGrader}, the batch and sample
 *       types) and {@link dev.tropism.rewards.GraderCompiler}, which registers every grader type.</li>
 *   <li>{@code text}: graders that read a sample's text (string checks, regexes, numbers, JSON, length,
 *       similarity).</li>
 *   <li>{@code composite}: graders built from other graders ({@code multi} with its formulas, {@code gated},
 *       {@code shaped}).</li>
 *   <li>{@code model}: graders that run a model (a reward model, the policy's likelihood).</li>
 *   <li>{@code image}: graders of generated images (an image classifier, image statistics).</li>
 *   <li>{@code webhook}: the {@code webhook} grader with its HTTP transport, secrets and their cipher.</li>
 * </ul>
 *
 * <p>Only this package is the module's published API; the sub-packages are internal to it.
 */
package dev.tropism.rewards;
