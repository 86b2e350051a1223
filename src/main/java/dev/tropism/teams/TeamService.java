package dev.tropism.teams;

import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import java.time.Instant;
import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Teams, and the keys an operator creates for them (the keys API itself: {@link ApiKeyService}). */
@Service
public class TeamService {

    /** A team as the API shows it. */
    public record TeamView(String id, String name, Instant createdAt) {
    }

    /**
     * A freshly created key; {@code key}, the secret, is shown only this once.
     *
     * @param prefix the secret's first 8 characters, shown in listings to tell keys apart
     * @param scopes wire names
     * @param expiresAt null: never
     */
    public record NewKey(String id, String name, String key, String prefix, List<String> scopes, Instant createdAt,
            Instant expiresAt) {
    }

    private final TeamRepository teams;
    private final ApiKeyService keys;

    TeamService(TeamRepository teams, ApiKeyService keys) {
        this.teams = teams;
        this.keys = keys;
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

    /**
     * Creates a key for {@code teamId} as the admin key would with only a name: {@link Scope#DEFAULT_SCOPES}, no
     * expiry.
     */
    @Transactional
    public NewKey createKey(String teamId, String name) {
        return keys.create(new ApiKeyEntity.Spec(teamId, name, Scope.DEFAULT_SCOPES, null, "admin"), Timestamps.now());
    }

    private static TeamView view(TeamEntity t) {
        return new TeamView(t.id(), t.name(), t.createdAt());
    }
}
