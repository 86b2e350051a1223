package dev.tropism.models;

import dev.tropism.quotas.QuotaUsage;
import org.springframework.stereotype.Component;

/** The models' part of a team's stored bytes ({@link ModelStore#storedBytes}). */
@Component
class ModelQuotaUsage implements QuotaUsage {

    private final ModelStore models;

    ModelQuotaUsage(ModelStore models) {
        this.models = models;
    }

    @Override
    public long storedBytes(String teamId) {
        return models.storedBytes(teamId);
    }
}
