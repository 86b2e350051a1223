package dev.tropism.models;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A model as the API shows it. Also a valid OpenAI model object: {@code id}, {@code object: "model"},
 * {@code created} (epoch seconds) and {@code owned_by} (the owning team), so that OpenAI client
 * libraries can list Tropism's models; the other fields are Tropism's own. {@code classes}: the class names
 * an image model ({@code flow-matching} or {@code image-classifier}) is prompted with, once it is ready; null
 * for the other families. {@code import}: for an imported model, its {@code source}, its {@code card}
 * (architecture, parameters, vocab_size, context_length, dtype, tokenizer, chat_template, checks), the {@code error}
 * that failed it, and when it started and finished; null for the other models. {@code aliases}: the team's reward
 * aliases that point at it now (a reward model's; empty for the other families). {@code sizeBytes}: the bytes of its files
 * in object storage (for a checkpoint's model, its part of the checkpoint), null while unknown.
 */
public record ModelView(String id, String object, long created, String ownedBy, String name, String family,
        String recipe, String status, String parent, String job, String checkpoint, String objectPrefix,
        Long parameters, List<String> classes, @JsonProperty("import") Map<String, Object> imported,
        List<String> aliases, Instant createdAt, Long sizeBytes) {

    public static ModelView of(ModelRecord m, List<String> classes) {
        return of(m, classes, null, List.of());
    }

    public static ModelView of(ModelRecord m, List<String> classes, Map<String, Object> imported,
            List<String> aliases) {
        return new ModelView(m.id(), "model", m.createdAt().getEpochSecond(), m.teamId(), m.name(), m.family().wireName(),
                m.recipe(), m.status().wire(), m.parent(), m.job(), m.checkpoint(), m.objectPrefix(), m.parameters(),
                classes, imported, aliases, m.createdAt(), m.sizeBytes());
    }
}
