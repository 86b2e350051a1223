package dev.tropism.teams;

import dev.tropism.web.TeamOwnedRepository;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Set;

@Entity
@Table(name = "api_keys")
class ApiKeyEntity implements TeamOwnedRepository.Owned {

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

    /** Wire names separated by spaces ({@link Scope#format}). */
    @Column(nullable = false)
    private String scopes;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "created_by", nullable = false)
    private String createdBy;

    @Column(name = "expires_at")
    private Instant expiresAt;

    @Column(name = "last_used_at")
    private Instant lastUsedAt;

    @Column(name = "revoked_at")
    private Instant revokedAt;

    protected ApiKeyEntity() {
    }

    /** What a new key is made of; {@code expiresAt} null for a key that never expires. */
    record Spec(String teamId, String name, Set<Scope> scopes, Instant expiresAt, String createdBy) {
    }

    static ApiKeyEntity create(String id, Spec spec, String keyHash, String prefix, Instant createdAt) {
        ApiKeyEntity k = new ApiKeyEntity();
        k.id = id;
        k.teamId = spec.teamId();
        k.name = spec.name();
        k.scopes = Scope.format(spec.scopes());
        k.expiresAt = spec.expiresAt();
        k.createdBy = spec.createdBy();
        k.keyHash = keyHash;
        k.prefix = prefix;
        k.createdAt = createdAt;
        return k;
    }

    @Override
    public String id() {
        return id;
    }

    String teamId() {
        return teamId;
    }

    String name() {
        return name;
    }

    String keyHash() {
        return keyHash;
    }

    String prefix() {
        return prefix;
    }

    Set<Scope> scopes() {
        return Scope.parse(scopes);
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }

    String createdBy() {
        return createdBy;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    Instant lastUsedAt() {
        return lastUsedAt;
    }

    Instant revokedAt() {
        return revokedAt;
    }

    boolean revoked() {
        return revokedAt != null;
    }

    /** Whether the key may authenticate at {@code now}: neither revoked nor expired. */
    boolean usableAt(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** Revokes the key; a key already revoked keeps its first revocation time. */
    void revoke(Instant at) {
        if (revokedAt == null) {
            revokedAt = at;
        }
    }
}
