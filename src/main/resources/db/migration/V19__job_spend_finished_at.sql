-- When a measured run succeeded, so that estimates take the newest comparable runs (job ids are random, not ordered).
-- Runs that succeeded before this column count as the oldest.
ALTER TABLE job_spend ADD COLUMN succeeded_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX job_spend_measured ON job_spend (method_type, succeeded_at);
