-- Imports of HuggingFace model directories (owned by the models module): one row per imported model, with what the
-- import found (the model card) and, when it failed, why. The model row itself stays in models.
CREATE TABLE model_imports (
    model_id     VARCHAR(40)  NOT NULL PRIMARY KEY,
    source       VARCHAR(20)  NOT NULL,
    metadata     TEXT,
    error        TEXT,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at  TIMESTAMP WITH TIME ZONE
);
