package dev.tropism.models;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/models}: pretrain a new model of {@code recipe}: {@code tiny-gpt} on a corpus dataset, or
 * {@code tiny-flow} on the shipped Fashion-MNIST subset (no {@code dataset}, {@code eval_dataset} or
 * {@code reward_spec}). Hyperparameters are snake_case: for {@code tiny-gpt}
 * {@code n_layer, n_embd, n_head, block_size} and the pretraining knobs; for {@code tiny-flow} the
 * {@code FlowNetConfig} and {@code FlowPretrainConfig} keys. {@code seed} is
 * optional (random when absent) and makes initialization, batching and the held-out split reproducible.
 * {@code eval_dataset} + {@code reward_spec} (optional, together) add greedy {@code eval/accuracy} every
 * {@code eval_interval} steps, which {@code stop_at_accuracy} can use to stop pretraining early.
 * {@code debug} holds the pretraining job's debug options ({@code check_finite}, see {@code JobDebug}).
 *
 * <p>With {@code source: "path"} it imports instead ({@code name} and {@code path} only, admin key): a HuggingFace
 * model directory on the node, under {@code tropism.models.import-roots}. Uploads ({@code source: "upload"}) come as
 * {@code multipart/form-data}, not JSON.
 */
public record CreateModelRequest(String name, String recipe, String dataset, JsonNode hyperparameters, Long seed,
        String evalDataset, String rewardSpec, JsonNode debug, String source, String path) {
}
