package dev.tropism.teams;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "api_keys")
class ApiKeyEntity {

    @Id
    private String id;

    @Column(name = "team_id", nullable = false)
    private String teamId;

    @Column(nullable = false)
    private String name;

    @Column(name = "key_hash", nullable = false)
    private String keyHash;

    @Column(nullable = false)
    private String prefix;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "revoked_at")
    private Instant revokedAt;

    protected ApiKeyEntity() {
    }

    ApiKeyEntity(String id, String teamId, String name, String keyHash, String prefix, Instant createdAt) {
        this.id = id;
        this.teamId = teamId;
        this.name = name;
        this.keyHash = keyHash;
        this.prefix = prefix;
        this.createdAt = createdAt;
    }

    String id() {
        return id;
    }

    String teamId() {
        return teamId;
    }

    String name() {
        return name;
    }

    boolean revoked() {
        return revokedAt != null;
    }
}
