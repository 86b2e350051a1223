-- Serving usage per team, UTC day and model (issue 5, usage accounting). One row per key, added to by
-- UsageStore: INSERT ... ON CONFLICT DO NOTHING of a zero row, then an UPDATE that adds, which is
-- correct under concurrent requests on PostgreSQL and on H2 (PostgreSQL mode) alike. ("day" is an H2
-- keyword, hence usage_date.)

CREATE TABLE usage_daily (
    team_id           VARCHAR(40) NOT NULL,
    usage_date        DATE        NOT NULL,
    model             VARCHAR(40) NOT NULL,
    requests          BIGINT      NOT NULL,
    prompt_tokens     BIGINT      NOT NULL,
    completion_tokens BIGINT      NOT NULL,
    images            BIGINT      NOT NULL,
    CONSTRAINT usage_daily_key PRIMARY KEY (team_id, usage_date, model)
);
