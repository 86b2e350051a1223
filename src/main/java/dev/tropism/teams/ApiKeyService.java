package dev.tropism.teams;

import dev.tropism.web.ApiException;
import dev.tropism.web.Hashes;
import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A team's API keys (create, list, revoke) and turning a presented key into a {@link Caller}.
 *
 * <p>Who manages keys: the admin key for any team; a key with {@code team:admin} for its own team only (another
 * team's keys answer 404, like any resource of another team). A team admin may grant any team scope, including
 * {@code team:admin}: it could do everything those scopes allow anyway by creating keys.
 */
@Service
class ApiKeyService {

    /** A key as its team sees it; never its secret or hash. */
    record KeyView(String id, String name, String prefix, List<String> scopes, Instant createdAt, Instant lastUsedAt,
            Instant expiresAt, Instant revokedAt, String createdBy) {
    }

    /** {@code GET /v1/me}: the calling key. */
    record Me(String teamId, String keyId, boolean admin, List<String> scopes, Instant expiresAt) {
    }

    /** {@code last_used_at} is written at most once per this interval per key. */
    static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    private final TeamRepository teams;
    private final ApiKeyRepository keys;
    private final AdminKey adminKey;

    ApiKeyService(TeamRepository teams, ApiKeyRepository keys, AdminKey adminKey) {
        this.teams = teams;
        this.keys = keys;
        this.adminKey = adminKey;
    }

    @Transactional
    TeamService.NewKey create(Caller caller, String teamId, KeyRequest request) {
        requireManaged(caller, teamId);
        Instant now = Timestamps.now();
        return create(request.toSpec(teamId, caller.keyId(), now), now);
    }

    /** Creates {@code spec}'s key; the team must exist. */
    @Transactional
    TeamService.NewKey create(ApiKeyEntity.Spec spec, Instant now) {
        if (!teams.existsById(spec.teamId())) {
            throw ApiException.notFound("team", spec.teamId());
        }
        String secret = ApiKeys.newSecret();
        ApiKeyEntity k = keys.save(ApiKeyEntity.create(Ids.newId("key_"), spec, Hashes.sha256Hex(secret),
                secret.substring(0, 8), now));
        return new TeamService.NewKey(k.id(), k.name(), secret, k.prefix(), Scope.wires(k.scopes()), k.createdAt(),
                k.expiresAt());
    }

    @Transactional(readOnly = true)
    ListResponse<KeyView> list(Caller caller, String teamId, PageParams page) {
        requireManaged(caller, teamId);
        return page.toResponse(keys.findPage(teamId, page), ApiKeyService::view);
    }

    /** Revokes the key at once; revoking a revoked key again succeeds and keeps the first {@code revoked_at}. */
    @Transactional
    void revoke(Caller caller, String teamId, String keyId) {
        requireManaged(caller, teamId);
        keys.findByTeamIdAndId(teamId, keyId).orElseThrow(() -> ApiException.notFound("API key", keyId))
                .revoke(Timestamps.now());
    }

    @Transactional(readOnly = true)
    Me me(Caller caller) {
        List<String> scopes = Scope.wires(caller.scopes().stream().filter(s -> s != Scope.AUTHENTICATED).toList());
        Instant expiresAt = caller.admin() ? null
                : keys.findById(caller.keyId()).map(ApiKeyEntity::expiresAt).orElse(null);
        return new Me(caller.teamId(), caller.keyId(), caller.admin(), scopes, expiresAt);
    }

    /**
     * The caller a bearer key stands for; empty, whatever the reason, when the key is unknown, revoked or expired,
     * so that all three answer the same 401. The stored hash is compared in constant time after the lookup by hash
     * (the index lookup can reveal only how much of a hash matched, never of the key).
     *
     * @param actingTeam the {@value Caller#TEAM_HEADER} header, or null
     */
    @Transactional
    Optional<Caller> authenticate(String bearer, String actingTeam) {
        if (adminKey.matches(bearer)) {
            if (actingTeam == null || actingTeam.isBlank()) {
                return Optional.of(new Caller(null, "admin", true));
            }
            if (!teams.existsById(actingTeam)) {
                throw ApiException.notFound("team", actingTeam);
            }
            return Optional.of(new Caller(actingTeam, "admin", true));
        }
        if (!bearer.startsWith(ApiKeys.PREFIX)) {
            return Optional.empty();
        }
        Instant now = Timestamps.now();
        byte[] presented = Hashes.sha256Hex(bearer).getBytes(StandardCharsets.US_ASCII);
        Optional<ApiKeyEntity> key = keys.findByKeyHash(new String(presented, StandardCharsets.US_ASCII))
                .filter(k -> MessageDigest.isEqual(k.keyHash().getBytes(StandardCharsets.US_ASCII), presented))
                .filter(k -> k.usableAt(now));
        if (key.isEmpty()) {
            return Optional.empty();
        }
        ApiKeyEntity k = key.get();
        if (actingTeam != null && !actingTeam.isBlank() && !actingTeam.equals(k.teamId())) {
            throw new ApiException(HttpStatus.FORBIDDEN, "forbidden", "Only the admin key may act for another team.");
        }
        Instant staleBefore = now.minus(LAST_USED_RESOLUTION);
        if (k.lastUsedAt() == null || k.lastUsedAt().isBefore(staleBefore)) {
            keys.touch(k.id(), now, staleBefore);
        }
        return Optional.of(new Caller(k.teamId(), k.id(), false, k.scopes()));
    }

    /** 404 for a team that does not exist, and equally for another team's keys asked by a team key. */
    private void requireManaged(Caller caller, String teamId) {
        if (!caller.admin() && !teamId.equals(caller.teamId()) || !teams.existsById(teamId)) {
            throw ApiException.notFound("team", teamId);
        }
    }

    private static KeyView view(ApiKeyEntity k) {
        return new KeyView(k.id(), k.name(), k.prefix(), Scope.wires(k.scopes()), k.createdAt(), k.lastUsedAt(),
                k.expiresAt(), k.revokedAt(), k.createdBy());
    }
}
