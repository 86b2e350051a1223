-- A tiny-flow pretraining trains on the data shipped with the service: its job has no dataset.
ALTER TABLE jobs ALTER COLUMN dataset DROP NOT NULL;
