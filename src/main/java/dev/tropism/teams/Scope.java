package dev.tropism.teams;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an API key may do. Every {@code /v1/**} operation names exactly one scope with {@link RequiresScope};
 * a team key holds a set of the team scopes ({@link #TEAM_SCOPES}), and a {@code :write} scope implies the
 * {@code :read} scope of the same resource. The admin key (operators) holds every scope, including
 * {@link #OPERATOR}, which no team key can hold. {@link #AUTHENTICATED} asks only for a valid key.
 */
public enum Scope {
    DATASETS_READ("datasets:read"),
    DATASETS_WRITE("datasets:write"),
    REWARD_SPECS_READ("reward-specs:read"),
    REWARD_SPECS_WRITE("reward-specs:write"),
    MODELS_READ("models:read"),
    MODELS_WRITE("models:write"),
    JOBS_READ("jobs:read"),
    JOBS_WRITE("jobs:write"),
    INFERENCE("inference"),
    EVALUATIONS_READ("evaluations:read"),
    EVALUATIONS_WRITE("evaluations:write"),
    WEBHOOKS_READ("webhooks:read"),
    WEBHOOKS_WRITE("webhooks:write"),
    USAGE_READ("usage:read"),
    /** Manage the team's own keys and read its audit log. */
    TEAM_ADMIN("team:admin"),
    /** Operators only: the admin key. No team key holds it. */
    OPERATOR("operator"),
    /** Any valid key, whatever its scopes. */
    AUTHENTICATED("authenticated");

    /** The scopes a team key may hold. */
    public static final Set<Scope> TEAM_SCOPES = EnumSet.range(DATASETS_READ, TEAM_ADMIN);

    /** The scopes of a key created without {@code scopes} (and of keys older than scopes): all but {@code team:admin}. */
    public static final Set<Scope> DEFAULT_SCOPES = EnumSet.range(DATASETS_READ, USAGE_READ);

    private final String wire;

    Scope(String wire) {
        this.wire = wire;
    }

    /** The scope's name in the API and the database, e.g. {@code jobs:write}. */
    public String wire() {
        return wire;
    }

    /** The team scope named {@code wire}, if any. */
    public static Optional<Scope> ofWire(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire.equals(wire.toLowerCase(Locale.ROOT))).findFirst();
    }

    /**
     * Whether a key holding {@code held} may call an operation that requires this scope: {@link #AUTHENTICATED}
     * always, {@link #OPERATOR} never (only the admin key), else when held directly or as the {@code :write}
     * scope of the same resource.
     */
    public boolean grantedBy(Set<Scope> held) {
        if (this == AUTHENTICATED) {
            return true;
        }
        if (this == OPERATOR) {
            return false;
        }
        if (held.contains(this)) {
            return true;
        }
        return wire.endsWith(":read") && ofWire(wire.substring(0, wire.length() - 5) + ":write")
                .map(held::contains).orElse(false);
    }
}
