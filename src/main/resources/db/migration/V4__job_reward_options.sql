-- Job-level reward options (issue 3): a gold reward spec that is evaluated but never optimized, and
-- reward options (normalization, hacking monitor) as JSON text.
ALTER TABLE jobs ADD COLUMN eval_reward_spec VARCHAR(40);
ALTER TABLE jobs ADD COLUMN reward_options TEXT;
