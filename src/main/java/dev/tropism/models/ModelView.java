package dev.tropism.models;

import java.time.Instant;

/** A model as the API shows it. */
public record ModelView(String id, String object, String name, String family, String recipe, String status,
        String parent, String job, String checkpoint, String objectPrefix, Long parameters, Instant createdAt) {

    public static ModelView of(ModelRecord m) {
        return new ModelView(m.id(), "model", m.name(), m.family(), m.recipe(), m.status(), m.parent(), m.job(),
                m.checkpoint(), m.objectPrefix(), m.parameters(), m.createdAt());
    }
}
