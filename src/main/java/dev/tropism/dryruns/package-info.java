/**
 * Evaluation of reward specs before training: dry-runs that sample from a model, score every sample
 * with a spec and report the reward distribution ({@code /v1/reward-specs/{id}/dry-run(s)}). Runs on a
 * small bounded executor of its own, outside the training job queue.
 */
package dev.tropism.dryruns;
