-- Checkpoint retention, stored sizes and team quotas (issue 17, owned by the jobs, models and quotas modules).
-- Portable between PostgreSQL and H2 (PostgreSQL mode).

-- Bytes under a checkpoint's object prefix (weights, optimizer state and its model/ directory); null before V18.
ALTER TABLE checkpoints ADD COLUMN size_bytes BIGINT;

-- Bytes under a model's object prefix; null when unknown (models registered before V18, test rows).
ALTER TABLE models ADD COLUMN size_bytes BIGINT;

-- A job's checkpoint retention as JSON ({keep_last, keep_best, best_metric, mode}); null keeps every checkpoint.
ALTER TABLE jobs ADD COLUMN retention TEXT;

-- A team's quotas, set by an operator; without a row the team has tropism.quotas.* (unlimited by default).
-- A null column is unlimited.
CREATE TABLE team_quotas (
    team_id             VARCHAR(64)              NOT NULL PRIMARY KEY,
    max_concurrent_jobs BIGINT,
    max_stored_bytes    BIGINT,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL
);

-- What checkpoint retention asks after each checkpoint: the models of a checkpoint, their children, the jobs that
-- train from them.
CREATE INDEX models_checkpoint ON models (checkpoint);
CREATE INDEX models_parent ON models (parent);
CREATE INDEX jobs_model ON jobs (model);
