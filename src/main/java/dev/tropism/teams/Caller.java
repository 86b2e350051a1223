package dev.tropism.teams;

import dev.tropism.web.ApiException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.springframework.http.HttpStatus;

/**
 * Who is calling: resolved from {@code Authorization: Bearer <key>} by the teams module and injected
 * into controller methods that declare a {@code Caller} parameter. The admin key has {@code admin}
 * true and no team of its own unless it acts for one.
 *
 * @param teamId the team owning every resource this caller creates or sees ({@code team_...})
 * @param keyId the API key used ({@code key_...}), or {@code admin}
 * @param admin whether the caller holds the admin key
 * @param scopes what the key may do ({@link Scope}); the admin key holds {@link Scope#ALL}. The teams module has
 *     already refused a call whose operation's {@link RequiresScope} is not among them.
 */
public record Caller(String teamId, String keyId, boolean admin, Set<Scope> scopes) {

    /** Header with which the admin key acts for a team. */
    public static final String TEAM_HEADER = "X-Tropism-Team";

    /** The request attribute holding the authenticated {@code Caller} of a {@code /v1/**} request. */
    public static final String REQUEST_ATTRIBUTE = Caller.class.getName();

    public Caller {
        scopes = Collections.unmodifiableSet(scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes));
    }

    /**
     * A caller inside the service acting for a team ({@code system} work such as a job's own reward-model loads),
     * or the admin key: the admin key holds every scope, any other caller made this way every team scope.
     */
    public Caller(String teamId, String keyId, boolean admin) {
        this(teamId, keyId, admin, admin ? Scope.ALL : Scope.TEAM_SCOPES);
    }

    /** Whether this caller may do what {@code scope} allows: the admin key always. */
    public boolean has(Scope scope) {
        return admin || scope.grantedBy(scopes);
    }

    /**
     * Fails with 403 {@code missing_scope} naming {@code scope} unless this caller holds it: for a second scope an
     * operation needs only for some of its requests (a pretraining {@code POST /v1/models} starts a job).
     *
     * @param why what needs it, ending the message ("Pretraining a model starts a training job")
     */
    public void requireScope(Scope scope, String why) {
        if (!has(scope)) {
            throw new MissingScopeException(scope, why + ", which needs the scope '" + scope.wire()
                    + "'; this API key does not hold it.");
        }
    }

    /**
     * The team this call acts for; the admin key without {@value #TEAM_HEADER} answers 400
     * {@code team_required}.
     */
    public String requireTeam() {
        if (teamId == null) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "team_required",
                    "This endpoint acts for a team: send the header " + TEAM_HEADER + ": team_... with the admin key.");
        }
        return teamId;
    }

    /** Fails with 403 {@code forbidden} unless the admin key made this call. */
    public void requireAdmin() {
        if (!admin) {
            throw new ApiException(HttpStatus.FORBIDDEN, "forbidden", "This endpoint needs the admin key.");
        }
    }
}
