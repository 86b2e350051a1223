package dev.tropism.teams;

import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

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

    /** Every scope: what the admin key holds. */
    public static final Set<Scope> ALL = EnumSet.allOf(Scope.class);

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

    /**
     * The team scopes in {@code stored}, wire names separated by spaces or commas (as in {@code api_keys.scopes});
     * other names (unknown to this version, or {@code operator}) are skipped: a key never gains a scope from them.
     */
    public static Set<Scope> parse(String stored) {
        Set<Scope> out = EnumSet.noneOf(Scope.class);
        if (stored != null) {
            for (String name : stored.split("[\\s,]+")) {
                if (!name.isEmpty()) {
                    ofWire(name).filter(TEAM_SCOPES::contains).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    /** The wire names of {@code scopes} in declaration order, separated by spaces: the stored form. */
    public static String format(Collection<Scope> scopes) {
        return wires(scopes).stream().collect(Collectors.joining(" "));
    }

    /** The wire names of {@code scopes} in declaration order. */
    public static List<String> wires(Collection<Scope> scopes) {
        return (scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes)).stream()
                .map(Scope::wire).toList();
    }
}
