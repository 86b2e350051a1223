package dev.tropism.jobs;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/jobs}. {@code method} is {@code {"type":"grpo","grpo":{...snake_case hyperparameters}}}
 * or {@code {"type":"reward_model","reward_model":{...}}}, or a flow method such as
 * {@code {"type":"flow_grpo","flow_grpo":{...}}} (see {@link AlignmentMethod}); {@code reward_spec}
 * is required by GRPO and the flow methods and not accepted by {@code reward_model};
 * {@code seed} is drawn at random when absent; {@code suffix} names the aligned model;
 * {@code evalRewardSpec} is a gold reward scored at evaluations and never optimized;
 * {@code rewardOptions} holds {@code normalization} and {@code hacking_monitor} (see {@link RewardOptions});
 * {@code debug} holds {@code check_finite} (see {@link JobDebug}); {@code resources} what the job asks of its worker
 * (see {@link JobResources}); {@code budget} is {@code {"max_spend": amount}}, the spend at which the job pauses (issue 17);
 * {@code retention} which checkpoints are kept (see {@link RetentionPolicy}).
 */
public record CreateJobRequest(String model, String dataset, String evalDataset, String rewardSpec, JsonNode method,
        Long seed, String suffix, JsonNode metadata, String evalRewardSpec, JsonNode rewardOptions,
        JsonNode debug, JsonNode resources, JsonNode budget, JsonNode retention) {
}
