package dev.tropism.datasets;

import java.time.Instant;
import java.util.Set;

/**
 * A dataset's metadata as other modules see it.
 *
 * @param fields the top-level fields present on every line (what reward templates may name)
 * @param objectKey where the JSONL content lives in object storage
 */
public record DatasetInfo(
        String id,
        String teamId,
        String name,
        DatasetPurpose purpose,
        long lines,
        Set<String> fields,
        String objectKey,
        String sha256,
        Instant createdAt) {
}
