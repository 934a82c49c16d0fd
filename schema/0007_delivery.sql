-- 0007: delivery to the WFM: targets (WFM connections), what each target was given per cell,
-- the outbox of batches and every attempt to send one.

-- A target: one WFM connection with its connector and settings (JSON validated by
-- upload/target_cfg.c). The secret (API key or bearer token) is sealed, bound to
-- "targets/<id>/secret", and never shown.
CREATE TABLE targets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    connector     TEXT NOT NULL CHECK (connector IN ('injixo-api', 'csv-export', 'https-json')),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    settings      TEXT NOT NULL DEFAULT '{}',
    secret_sealed TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- The value each target was last given (queued for it) per WFM queue, value type and
-- interval, and how often it changed: a result is queued again only when it differs.
CREATE TABLE target_cells (
    target_id      INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    queue_id       INTEGER NOT NULL,
    value_type_id  INTEGER NOT NULL,
    interval_start INTEGER NOT NULL,
    value          REAL NOT NULL,
    revision       INTEGER NOT NULL,
    PRIMARY KEY (target_id, queue_id, value_type_id, interval_start)
) WITHOUT ROWID;

-- Changed cells written in the same transaction as the results; packed into batches (and
-- removed) in one later transaction, once every mapping of the import has been computed, so
-- a batch carries whole rows (offered, handled and handle time of one queue and interval).
CREATE TABLE outbox_cells (
    target_id      INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    queue_id       INTEGER NOT NULL,
    interval_start INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    queued_at      INTEGER NOT NULL,
    PRIMARY KEY (target_id, queue_id, interval_start)
) WITHOUT ROWID;

-- The outbox. id orders delivery per target; batch_key (hash of target and content) is the
-- Idempotency-Key. pending -> sending -> acked | failed; sending becomes pending at start.
CREATE TABLE batches (
    id              INTEGER PRIMARY KEY,
    target_id       INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    batch_key       TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('intervals', 'agent_states')),
    endpoint        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    body            BLOB NOT NULL,
    items           INTEGER NOT NULL,
    first_interval  INTEGER,
    last_interval   INTEGER,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'acked', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    acked_at        INTEGER,
    UNIQUE (target_id, batch_key)
);
CREATE INDEX batches_target_state ON batches(target_id, state, id);
CREATE INDEX batches_state ON batches(state, created_at);

CREATE TABLE batch_attempts (
    batch_id    INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('acked', 'retry', 'failed')),
    http_status INTEGER,
    answer      TEXT,
    error       TEXT,
    PRIMARY KEY (batch_id, n)
) WITHOUT ROWID;
