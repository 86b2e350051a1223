package dev.tropism.teams;

/**
 * Who is calling: resolved from {@code Authorization: Bearer <key>} by the teams module and injected
 * into controller methods that declare a {@code Caller} parameter. The admin key has {@code admin}
 * true and no team of its own unless it acts for one.
 *
 * @param teamId the team owning every resource this caller creates or sees ({@code team_...})
 * @param keyId the API key used ({@code key_...}), or {@code admin}
 * @param admin whether the caller holds the admin key
 */
public record Caller(String teamId, String keyId, boolean admin) {
}
