-- Per-job debug options (issue 11), JSON text such as {"check_finite":true}; null when none were given.
ALTER TABLE jobs ADD COLUMN debug TEXT;
