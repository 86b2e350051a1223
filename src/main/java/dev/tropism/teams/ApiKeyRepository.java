package dev.tropism.teams;

import dev.tropism.web.TeamOwnedRepository;
import java.time.Instant;
import java.util.Optional;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface ApiKeyRepository extends TeamOwnedRepository<ApiKeyEntity> {

    Optional<ApiKeyEntity> findByKeyHash(String keyHash);

    /**
     * Sets {@code last_used_at} unless another call (on any instance) set it after {@code staleBefore}: the row lock
     * and the re-checked condition make it at most one write per key per interval.
     */
    @Modifying
    @Query("update ApiKeyEntity k set k.lastUsedAt = :now where k.id = :id"
            + " and (k.lastUsedAt is null or k.lastUsedAt < :staleBefore)")
    int touch(@Param("id") String id, @Param("now") Instant now, @Param("staleBefore") Instant staleBefore);
}
