-- Spend and budgets (issue 17). Portable between PostgreSQL and H2 (PostgreSQL mode): the upserts insert a zero row
-- with ON CONFLICT DO NOTHING and then add in place, as usage_daily does.

-- Training spend per team, UTC day, job and device class, added to by every training step (in the step's
-- transaction). model is the job's model (the base model of an alignment job, the model being pretrained otherwise).
CREATE TABLE spend_ledger (
    team_id        VARCHAR(64)  NOT NULL,
    spend_date     DATE         NOT NULL,
    job_id         VARCHAR(64)  NOT NULL,
    model          VARCHAR(64)  NOT NULL,
    device_class   VARCHAR(100) NOT NULL,
    device_seconds DOUBLE PRECISION NOT NULL,
    spend          NUMERIC(24, 9) NOT NULL,
    CONSTRAINT spend_ledger_key PRIMARY KEY (team_id, spend_date, job_id, device_class)
);
CREATE INDEX spend_ledger_job ON spend_ledger (job_id);

-- A job's running totals, its budget and its estimate. steps counts the optimizer steps accrued (a step replayed
-- after a lost worker counts again, as its device time does); succeeded marks the runs estimates learn from.
CREATE TABLE job_spend (
    job_id                  VARCHAR(64)  NOT NULL PRIMARY KEY,
    team_id                 VARCHAR(64)  NOT NULL,
    method_type             VARCHAR(64),
    base_model              VARCHAR(64),
    max_spend               NUMERIC(24, 9),
    spend                   NUMERIC(24, 9) NOT NULL,
    device_seconds          DOUBLE PRECISION NOT NULL,
    steps                   INTEGER      NOT NULL,
    device_class            VARCHAR(100),
    estimate                NUMERIC(24, 9),
    estimate_device_seconds DOUBLE PRECISION,
    estimate_basis          VARCHAR(300),
    succeeded               BOOLEAN      NOT NULL
);
CREATE INDEX job_spend_comparable ON job_spend (method_type, base_model, succeeded);

-- A team's monthly (calendar month, UTC) budget, set by an operator; absent = no limit.
CREATE TABLE team_budgets (
    team_id         VARCHAR(64) NOT NULL PRIMARY KEY,
    monthly_limit   NUMERIC(24, 9),
    alert_threshold DOUBLE PRECISION,
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The month a team's alert threshold was crossed, once per month (the primary key makes it once).
CREATE TABLE team_budget_alerts (
    team_id      VARCHAR(64) NOT NULL,
    budget_month VARCHAR(7)  NOT NULL, -- YYYY-MM
    job_id       VARCHAR(64),
    spend        NUMERIC(24, 9) NOT NULL,
    alerted_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT team_budget_alerts_key PRIMARY KEY (team_id, budget_month)
);
