-- 0004: imports: runs and their logs, staged values, the external queues seen, and the files
-- already imported.

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
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
    finished_at   INTEGER
);
CREATE INDEX runs_source ON runs(source_id, id);
CREATE INDEX runs_state ON runs(state, id);

CREATE TABLE run_log (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    ts      INTEGER NOT NULL,
    level   TEXT NOT NULL CHECK (level IN ('error', 'warn', 'info')),
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- One value per source, local day, interval (UTC start), external queue and metric. The key
-- follows the order exports deliver rows in (time, then queue).
CREATE TABLE staged (
    source_id      INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    day            TEXT NOT NULL,
    interval_start INTEGER NOT NULL,
    ext_queue      TEXT NOT NULL,
    metric         TEXT NOT NULL,
    value          REAL NOT NULL,
    run_id         INTEGER NOT NULL,
    PRIMARY KEY (source_id, day, interval_start, ext_queue, metric)
) WITHOUT ROWID;

CREATE TABLE ext_queues (
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_queue  TEXT NOT NULL,
    name       TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (source_id, ext_queue)
) WITHOUT ROWID;

CREATE TABLE imported_files (
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    run_id      INTEGER NOT NULL,
    PRIMARY KEY (source_id, sha256)
) WITHOUT ROWID;
