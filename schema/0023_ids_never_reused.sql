-- 0023: ids are never reused. Every table whose ids the API shows (users, tokens, WFM queues,
-- value types, sources, runs, mappings, schedules, targets, deliveries, activities, agents,
-- recomputes) becomes AUTOINCREMENT: without it SQLite hands out the id of the newest row again
-- once that row is deleted, and a script that kept the id would act on another object. Each table
-- is rebuilt with its rows, indices and the foreign keys that point to it (by name); the
-- migration runs with foreign keys off and is checked with PRAGMA foreign_key_check before it
-- commits (migrate.c reads the line below).
-- acdlink: foreign_keys=off

-- users
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER
);
INSERT INTO users_new (id, name, role, password_hash, disabled, created_at, updated_at, last_login_at)
    SELECT id, name, role, password_hash, disabled, created_at, updated_at, last_login_at FROM users ORDER BY id;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- api_tokens
CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    prefix       TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    expires_at INTEGER
);
INSERT INTO api_tokens_new (id, name, role, prefix, token_hash, created_by, created_at, last_used_at, revoked_at, owner_id, expires_at)
    SELECT id, name, role, prefix, token_hash, created_by, created_at, last_used_at, revoked_at, owner_id, expires_at FROM api_tokens ORDER BY id;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_owner ON api_tokens(owner_id);

-- wfm_queues
CREATE TABLE wfm_queues_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier       TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('calls', 'chats', 'emails', 'messages',
                                                      'social', 'tasks', 'other')),
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes IN (15, 30, 60)),
    time_zone        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
INSERT INTO wfm_queues_new (id, identifier, name, channel, interval_minutes, time_zone, created_at, updated_at)
    SELECT id, identifier, name, channel, interval_minutes, time_zone, created_at, updated_at FROM wfm_queues ORDER BY id;
DROP TABLE wfm_queues;
ALTER TABLE wfm_queues_new RENAME TO wfm_queues;

-- value_types
CREATE TABLE value_types_new (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    key       TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    unit      TEXT NOT NULL CHECK (unit IN ('count', 'seconds', 'percent', 'number')),
    combine   TEXT NOT NULL CHECK (combine IN ('sum', 'weighted')),
    weight_key TEXT,
    builtin   INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    CHECK ((combine = 'weighted') = (weight_key IS NOT NULL))
);
INSERT INTO value_types_new (id, key, name, unit, combine, weight_key, builtin)
    SELECT id, key, name, unit, combine, weight_key, builtin FROM value_types ORDER BY id;
DROP TABLE value_types;
ALTER TABLE value_types_new RENAME TO value_types;

-- sources
CREATE TABLE sources_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind             TEXT NOT NULL CHECK (kind IN ('csv', 'odbc')),
    product          TEXT NOT NULL CHECK (product IN ('contacts', 'agent_states')),
    layout           TEXT NOT NULL CHECK (layout IN ('interval', 'contact')),
    time_zone        TEXT NOT NULL,
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes IN (15, 30, 60)),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    settings         TEXT NOT NULL DEFAULT '{}',
    password_sealed  TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
INSERT INTO sources_new (id, name, kind, product, layout, time_zone, interval_minutes, enabled, settings, password_sealed, created_at, updated_at)
    SELECT id, name, kind, product, layout, time_zone, interval_minutes, enabled, settings, password_sealed, created_at, updated_at FROM sources ORDER BY id;
DROP TABLE sources;
ALTER TABLE sources_new RENAME TO sources;

-- runs
CREATE TABLE runs_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    trigger       TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'cli')),
    period_from   TEXT NOT NULL,
    period_to     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed',
                                                 'cancelled')),
    days_total    INTEGER NOT NULL DEFAULT 0,
    days_done     INTEGER NOT NULL DEFAULT 0,
    files_read    INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    rows_read     INTEGER NOT NULL DEFAULT 0,
    rows_staged   INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    rows_filtered INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    zero_fill INTEGER NOT NULL DEFAULT 0 CHECK (zero_fill IN (0, 1)),
    map_from TEXT,
    map_to TEXT,
    failed_mappings INTEGER NOT NULL DEFAULT 0,
    reread INTEGER NOT NULL DEFAULT 0 CHECK (reread IN (0, 1))
);
INSERT INTO runs_new (id, source_id, trigger, period_from, period_to, state, days_total, days_done, files_read, files_skipped, rows_read, rows_staged, rows_rejected, rows_filtered, error, created_by, created_at, started_at, finished_at, zero_fill, map_from, map_to, failed_mappings, reread)
    SELECT id, source_id, trigger, period_from, period_to, state, days_total, days_done, files_read, files_skipped, rows_read, rows_staged, rows_rejected, rows_filtered, error, created_by, created_at, started_at, finished_at, zero_fill, map_from, map_to, failed_mappings, reread FROM runs ORDER BY id;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_source ON runs(source_id, id);
CREATE INDEX runs_state ON runs(state, id);

-- mappings
CREATE TABLE mappings_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id      INTEGER NOT NULL REFERENCES wfm_queues(id) ON DELETE CASCADE,
    value_type_id INTEGER NOT NULL REFERENCES value_types(id) ON DELETE RESTRICT,
    formula       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    form_override INTEGER NOT NULL DEFAULT 0 CHECK (form_override IN (0, 1)),
    UNIQUE (queue_id, value_type_id)
);
INSERT INTO mappings_new (id, queue_id, value_type_id, formula, created_at, updated_at, form_override)
    SELECT id, queue_id, value_type_id, formula, created_at, updated_at, form_override FROM mappings ORDER BY id;
DROP TABLE mappings;
ALTER TABLE mappings_new RENAME TO mappings;

-- schedules
CREATE TABLE schedules_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id      INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('every', 'daily')),
    every_minutes  INTEGER,
    offset_minutes INTEGER NOT NULL DEFAULT 0,
    daily_at       TEXT,
    days_back      INTEGER NOT NULL DEFAULT 1,
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    next_run_at    INTEGER,
    last_run_id    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    zero_fill INTEGER NOT NULL DEFAULT 0 CHECK (zero_fill IN (0, 1)),
    CHECK ((kind = 'every' AND every_minutes BETWEEN 5 AND 1440 AND daily_at IS NULL)
        OR (kind = 'daily' AND every_minutes IS NULL AND daily_at IS NOT NULL))
);
INSERT INTO schedules_new (id, source_id, kind, every_minutes, offset_minutes, daily_at, days_back, enabled, next_run_at, last_run_id, created_at, updated_at, zero_fill)
    SELECT id, source_id, kind, every_minutes, offset_minutes, daily_at, days_back, enabled, next_run_at, last_run_id, created_at, updated_at, zero_fill FROM schedules ORDER BY id;
DROP TABLE schedules;
ALTER TABLE schedules_new RENAME TO schedules;
CREATE INDEX schedules_due ON schedules(enabled, next_run_at);

-- targets
CREATE TABLE targets_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    connector     TEXT NOT NULL CHECK (connector IN ('injixo-api', 'csv-export', 'https-json')),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    settings      TEXT NOT NULL DEFAULT '{}',
    secret_sealed TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
INSERT INTO targets_new (id, name, connector, enabled, settings, secret_sealed, created_at, updated_at)
    SELECT id, name, connector, enabled, settings, secret_sealed, created_at, updated_at FROM targets ORDER BY id;
DROP TABLE targets;
ALTER TABLE targets_new RENAME TO targets;

-- batches
CREATE TABLE batches_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    resend_id INTEGER,
    UNIQUE (target_id, batch_key)
);
INSERT INTO batches_new (id, target_id, batch_key, kind, endpoint, content_type, body, items, first_interval, last_interval, state, attempts, next_attempt_at, last_status, last_error, created_at, updated_at, acked_at, resend_id)
    SELECT id, target_id, batch_key, kind, endpoint, content_type, body, items, first_interval, last_interval, state, attempts, next_attempt_at, last_status, last_error, created_at, updated_at, acked_at, resend_id FROM batches ORDER BY id;
DROP TABLE batches;
ALTER TABLE batches_new RENAME TO batches;
CREATE INDEX batches_target_state ON batches(target_id, state, id);
CREATE INDEX batches_state ON batches(state, created_at);
CREATE INDEX batches_resend ON batches(resend_id) WHERE resend_id IS NOT NULL;

-- wfm_activities
CREATE TABLE wfm_activities_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    builtin    TEXT UNIQUE CHECK (builtin IN ('present', 'logged_out')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO wfm_activities_new (id, identifier, name, builtin, created_at, updated_at)
    SELECT id, identifier, name, builtin, created_at, updated_at FROM wfm_activities ORDER BY id;
DROP TABLE wfm_activities;
ALTER TABLE wfm_activities_new RENAME TO wfm_activities;

-- wfm_agents
CREATE TABLE wfm_agents_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier TEXT NOT NULL UNIQUE,
    name       TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO wfm_agents_new (id, identifier, name, created_at, updated_at)
    SELECT id, identifier, name, created_at, updated_at FROM wfm_agents ORDER BY id;
DROP TABLE wfm_agents;
ALTER TABLE wfm_agents_new RENAME TO wfm_agents;

-- recomputes
CREATE TABLE recomputes_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('mapping', 'source_agents', 'agent')),
    ref_id     INTEGER NOT NULL, -- the mapping, the source (0: every source), the WFM agent
    day_from   TEXT,             -- local days; both NULL: every staged day
    day_to     TEXT,
    reason     TEXT NOT NULL,
    gen        INTEGER NOT NULL DEFAULT 1,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    UNIQUE (kind, ref_id)
);
INSERT INTO recomputes_new (id, kind, ref_id, day_from, day_to, reason, gen, attempts, last_error, created_at, next_at)
    SELECT id, kind, ref_id, day_from, day_to, reason, gen, attempts, last_error, created_at, next_at FROM recomputes ORDER BY id;
DROP TABLE recomputes;
ALTER TABLE recomputes_new RENAME TO recomputes;
CREATE INDEX recomputes_next ON recomputes(next_at);

-- Ids deleted before this migration (above the largest one left) are known from the audit log:
-- the sequences start above them too.
INSERT INTO sqlite_sequence (name, seq)
    SELECT name, 0 FROM (SELECT 'users' AS name UNION ALL SELECT 'api_tokens'
        UNION ALL SELECT 'wfm_queues' UNION ALL SELECT 'value_types' UNION ALL SELECT 'sources'
        UNION ALL SELECT 'runs' UNION ALL SELECT 'mappings' UNION ALL SELECT 'schedules'
        UNION ALL SELECT 'targets' UNION ALL SELECT 'batches' UNION ALL SELECT 'wfm_activities'
        UNION ALL SELECT 'wfm_agents' UNION ALL SELECT 'recomputes') t
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence q WHERE q.name = t.name);
WITH seen (name, id) AS (
    SELECT CASE substr(action, 1, instr(action, '.') - 1)
               WHEN 'user' THEN 'users' WHEN 'token' THEN 'api_tokens'
               WHEN 'queue' THEN 'wfm_queues' WHEN 'value_type' THEN 'value_types'
               WHEN 'source' THEN 'sources' WHEN 'mapping' THEN 'mappings'
               WHEN 'schedule' THEN 'schedules' WHEN 'target' THEN 'targets'
               WHEN 'activity' THEN 'wfm_activities' WHEN 'agent' THEN 'wfm_agents' END,
           CAST(json_extract(detail, '$.id') AS INTEGER)
    FROM audit
    WHERE action IN ('user.create', 'user.update', 'user.delete', 'token.create',
                     'token.revoke', 'queue.create', 'queue.update', 'queue.delete',
                     'value_type.create', 'value_type.update', 'value_type.delete',
                     'source.create', 'source.update', 'source.delete', 'mapping.delete',
                     'schedule.create', 'schedule.update', 'schedule.delete', 'target.create',
                     'target.update', 'target.delete', 'activity.create', 'activity.update',
                     'activity.delete', 'agent.delete')
      AND json_valid(detail))
UPDATE sqlite_sequence
SET seq = max(seq, coalesce((SELECT max(id) FROM seen WHERE seen.name = sqlite_sequence.name), 0))
WHERE name IN (SELECT name FROM seen);
