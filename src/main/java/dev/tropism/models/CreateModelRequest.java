package dev.tropism.models;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/models}: pretrain a new model of {@code recipe} on a corpus dataset. Hyperparameters
 * are snake_case: {@code n_layer, n_embd, n_head, block_size} and the pretraining knobs.
 */
public record CreateModelRequest(String name, String recipe, String dataset, JsonNode hyperparameters) {
}
