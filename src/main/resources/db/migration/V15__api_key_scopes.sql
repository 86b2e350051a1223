-- Scoped, expiring API keys (issue 17). Portable between PostgreSQL and H2 (PostgreSQL mode).
-- scopes: the key's scope wire names separated by spaces (dev.tropism.teams.Scope), e.g. "jobs:read jobs:write".
-- Keys older than scopes get Scope.DEFAULT_SCOPES (every team scope but team:admin) and were made by the admin key,
-- the only one that could create keys before.
ALTER TABLE api_keys ADD COLUMN scopes VARCHAR(1000);
UPDATE api_keys SET scopes = 'datasets:read datasets:write reward-specs:read reward-specs:write models:read '
    || 'models:write jobs:read jobs:write inference evaluations:read evaluations:write webhooks:read webhooks:write '
    || 'usage:read';
ALTER TABLE api_keys ALTER COLUMN scopes SET NOT NULL;

ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
-- Written at most once a minute per key (ApiKeyService.authenticate), so a busy key costs no write per call.
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMP WITH TIME ZONE;
-- The key id that created it, or "admin".
ALTER TABLE api_keys ADD COLUMN created_by VARCHAR(64);
UPDATE api_keys SET created_by = 'admin';
ALTER TABLE api_keys ALTER COLUMN created_by SET NOT NULL;

-- GET /v1/teams/{id}/api-keys pages a team's keys oldest first.
CREATE INDEX api_keys_team_created_idx ON api_keys (team_id, created_at, id);
