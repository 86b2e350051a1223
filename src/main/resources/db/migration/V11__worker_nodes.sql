-- Worker nodes (issue 14). Every process registers a row at start, heartbeats it, and marks it stopped when it shuts
-- down cleanly; a node silent for longer than lost_after_ms is marked lost and its jobs are requeued.
CREATE TABLE nodes (
    id                    VARCHAR(40)  PRIMARY KEY,
    name                  VARCHAR(200) NOT NULL,
    role                  VARCHAR(16)  NOT NULL,
    state                 VARCHAR(16)  NOT NULL,
    device                VARCHAR(16)  NOT NULL,
    gpu_model             VARCHAR(200),
    gpu_memory_bytes      BIGINT,
    ram_bytes             BIGINT       NOT NULL,
    pool                  VARCHAR(64)  NOT NULL,
    capacity              INT          NOT NULL,
    running_jobs          TEXT,
    heartbeat_interval_ms BIGINT       NOT NULL,
    lost_after_ms         BIGINT       NOT NULL,
    started_at            TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at          TIMESTAMP WITH TIME ZONE NOT NULL
);

-- What a job asks of its worker (JSON: device, pool, min_gpu_memory_gb), where it runs (worker_id) and which node
-- dispatched it (dispatcher_id), why it waits while queued, and how many of its workers were lost since its last
-- checkpoint (a job whose workers keep dying fails after tropism.jobs.max-attempts).
ALTER TABLE jobs ADD COLUMN resources TEXT;
ALTER TABLE jobs ADD COLUMN worker_id VARCHAR(40);
ALTER TABLE jobs ADD COLUMN dispatcher_id VARCHAR(40);
ALTER TABLE jobs ADD COLUMN wait_reason TEXT;
ALTER TABLE jobs ADD COLUMN attempts INT NOT NULL DEFAULT 0;

-- One row that a dispatcher locks (SELECT ... FOR UPDATE) while it assigns queued jobs to workers' free slots, so two
-- API instances never fill the same slot twice.
CREATE TABLE dispatch_lock (id INT PRIMARY KEY);
INSERT INTO dispatch_lock (id) VALUES (1);
