package dev.tropism.teams;

import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The body of {@code POST /v1/teams/{id}/api-keys}, checked whole: every violation is reported at once (422
 * {@code validation_failed}, one pointer each).
 *
 * @param name 1 to 200 characters
 * @param scopes team scope wire names; absent: {@link Scope#DEFAULT_SCOPES}. {@code operator} (the admin key's) and
 *     {@code authenticated} (every key's) cannot be granted; an empty list is refused as surely a mistake
 * @param expiresAt an RFC 3339 time with offset, in the future
 * @param expiresInDays 1 to {@value #MAX_DAYS} days from now; at most one of the two
 */
record KeyRequest(String name, List<String> scopes, String expiresAt, Integer expiresInDays) {

    static final int MAX_NAME = 200;
    /** Ten years: far enough for "never" to be said by leaving both expiry fields out. */
    static final int MAX_DAYS = 3650;

    /** The key to create, made by {@code createdBy} (a key id or {@code admin}) at {@code now}. */
    ApiKeyEntity.Spec toSpec(String teamId, String createdBy, Instant now) {
        List<Violation> violations = new ArrayList<>();
        String trimmed = name == null ? "" : name.trim();
        if (trimmed.isEmpty()) {
            violations.add(new Violation("/name", "must not be blank"));
        } else if (trimmed.length() > MAX_NAME) {
            violations.add(new Violation("/name", "must be at most " + MAX_NAME + " characters"));
        }
        Set<Scope> granted = scopes == null ? Scope.DEFAULT_SCOPES : granted(violations);
        Instant expiry = expiry(now, violations);
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        return new ApiKeyEntity.Spec(teamId, trimmed, granted, expiry, createdBy);
    }

    private Set<Scope> granted(List<Violation> violations) {
        Set<Scope> out = EnumSet.noneOf(Scope.class);
        if (scopes.isEmpty()) {
            violations.add(new Violation("/scopes", "must name at least one scope; leave scopes out for the default "
                    + "scopes (" + Scope.format(Scope.DEFAULT_SCOPES) + ")"));
        }
        for (int i = 0; i < scopes.size(); i++) {
            String wire = scopes.get(i);
            String pointer = "/scopes/" + i;
            Optional<Scope> scope = wire == null ? Optional.empty() : Scope.ofWire(wire.trim());
            if (scope.isEmpty()) {
                violations.add(new Violation(pointer, "unknown scope " + (wire == null ? "null" : "'" + wire + "'")
                        + "; one of: " + Scope.format(Scope.TEAM_SCOPES)));
            } else if (scope.get() == Scope.OPERATOR) {
                violations.add(new Violation(pointer, "'operator' is held by the admin key only"));
            } else if (scope.get() == Scope.AUTHENTICATED) {
                violations.add(new Violation(pointer, "'authenticated' is not granted: every valid key has it"));
            } else {
                out.add(scope.get());
            }
        }
        return out;
    }

    private Instant expiry(Instant now, List<Violation> violations) {
        if (expiresAt != null && expiresInDays != null) {
            violations.add(new Violation("/expires_in_days", "give expires_at or expires_in_days, not both"));
            return null;
        }
        if (expiresInDays != null) {
            if (expiresInDays < 1 || expiresInDays > MAX_DAYS) {
                violations.add(new Violation("/expires_in_days", "must be between 1 and " + MAX_DAYS));
                return null;
            }
            return now.plus(expiresInDays, ChronoUnit.DAYS);
        }
        if (expiresAt != null) {
            Instant at;
            try {
                at = OffsetDateTime.parse(expiresAt.trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()
                        .truncatedTo(ChronoUnit.MICROS);
            } catch (DateTimeParseException e) {
                violations.add(new Violation("/expires_at",
                        "must be an RFC 3339 time with an offset, e.g. 2027-01-31T00:00:00Z"));
                return null;
            }
            if (!at.isAfter(now)) {
                violations.add(new Violation("/expires_at", "must be in the future"));
                return null;
            }
            if (at.isAfter(now.plus(MAX_DAYS, ChronoUnit.DAYS))) {
                violations.add(new Violation("/expires_at", "must be at most " + MAX_DAYS + " days from now"));
                return null;
            }
            return at;
        }
        return null;
    }
}
