package dev.tropism.teams;

import dev.tropism.web.ApiException;
import dev.tropism.web.Hashes;
import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Teams, their API keys, and turning a presented key into a {@link Caller}. */
@Service
public class TeamService {

    /** A team as the API shows it. */
    public record TeamView(String id, String name, Instant createdAt) {
    }

    /** A freshly created key; {@code key} is shown only this once. */
    public record NewKey(String id, String name, String key) {
    }

    private static final Caller ADMIN = new Caller(null, "admin", true);

    private final TeamRepository teams;
    private final ApiKeyRepository keys;
    private final AdminKey adminKey;

    TeamService(TeamRepository teams, ApiKeyRepository keys, AdminKey adminKey) {
        this.teams = teams;
        this.keys = keys;
        this.adminKey = adminKey;
    }

    @Transactional
    public TeamView create(String name) {
        TeamEntity t = teams.save(new TeamEntity(Ids.newId("team_"), name, Timestamps.now()));
        return view(t);
    }

    @Transactional(readOnly = true)
    public ListResponse<TeamView> list(PageParams page) {
        List<TeamEntity> rows;
        if (page.after() == null) {
            rows = teams.findAllByOrderByCreatedAtAscIdAsc(Limit.of(page.fetchSize()));
        } else {
            TeamEntity after = teams.findById(page.after()).orElseThrow(page::unknownCursor);
            rows = teams.findAfter(after.createdAt(), after.id(), Limit.of(page.fetchSize()));
        }
        return page.toResponse(rows, TeamService::view);
    }

    @Transactional
    public NewKey createKey(String teamId, String name) {
        if (!teams.existsById(teamId)) {
            throw ApiException.notFound("team", teamId);
        }
        String secret = ApiKeys.newSecret();
        ApiKeyEntity k = keys.save(new ApiKeyEntity(Ids.newId("key_"), teamId, name, Hashes.sha256Hex(secret),
                secret.substring(0, 8), Timestamps.now()));
        return new NewKey(k.id(), k.name(), secret);
    }

    /**
     * The caller a bearer key stands for, empty when the key is unknown or revoked.
     *
     * @param actingTeam the {@value Caller#TEAM_HEADER} header, or null
     */
    @Transactional(readOnly = true)
    public Optional<Caller> authenticate(String bearer, String actingTeam) {
        if (adminKey.matches(bearer)) {
            if (actingTeam == null || actingTeam.isBlank()) {
                return Optional.of(ADMIN);
            }
            if (!teams.existsById(actingTeam)) {
                throw ApiException.notFound("team", actingTeam);
            }
            return Optional.of(new Caller(actingTeam, ADMIN.keyId(), true));
        }
        if (!bearer.startsWith(ApiKeys.PREFIX)) {
            return Optional.empty();
        }
        return keys.findByKeyHash(Hashes.sha256Hex(bearer))
                .filter(k -> !k.revoked())
                .map(k -> {
                    if (actingTeam != null && !actingTeam.isBlank() && !actingTeam.equals(k.teamId())) {
                        throw new ApiException(org.springframework.http.HttpStatus.FORBIDDEN, "forbidden",
                                "Only the admin key may act for another team.");
                    }
                    return new Caller(k.teamId(), k.id(), false);
                });
    }

    private static TeamView view(TeamEntity t) {
        return new TeamView(t.id(), t.name(), t.createdAt());
    }
}
