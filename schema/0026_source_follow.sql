-- 0026: incremental agent-state sources (settings.incremental). A poller reads each such source
-- every few seconds from its cursor; what it read is staged in the transaction that moves the
-- cursor, so a crash at any point repeats a poll at worst, which changes nothing.

-- One row per incremental source: the cursor (the greatest cursor value read: naive seconds of
-- the database's own timestamps, or the id), and what the admin sees of the polls.
CREATE TABLE source_follow (
    source_id          INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    cursor_type        TEXT NOT NULL CHECK (cursor_type IN ('timestamp', 'id')),
    cursor_column      TEXT NOT NULL,
    value              INTEGER,          -- NULL: nothing read yet
    polls              INTEGER NOT NULL DEFAULT 0,
    last_poll_at       INTEGER,          -- the last poll that ended (with or without rows)
    last_rows          INTEGER NOT NULL DEFAULT 0, -- rows the last poll read
    last_change_at     INTEGER,          -- the last poll that staged a change
    rows_read          INTEGER NOT NULL DEFAULT 0,   -- every poll's rows (the overlap again too)
    rows_changed       INTEGER NOT NULL DEFAULT 0,   -- states staged, changed or removed
    last_rejected      INTEGER NOT NULL DEFAULT 0,   -- rows the last poll rejected
    last_cursor_nulls  INTEGER NOT NULL DEFAULT 0,   -- of them: rows without a cursor value
    last_note          TEXT,             -- the last poll's last warning (a rejected row)
    last_error         TEXT,             -- NULL while polls succeed
    last_error_at      INTEGER,
    failing_since      INTEGER,
    next_reconcile_at  INTEGER,          -- NULL: at the next poll
    last_reconcile_run INTEGER
);

-- Id cursors: the greatest id read as time went by (thinned to one per 10 s, kept for the
-- reconciliation window), so that the overlap and the reconciliation can go back in time.
CREATE TABLE source_follow_marks (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (source_id, at)
) WITHOUT ROWID;

-- The cursor value of the row a state came from (incremental sources; NULL otherwise): the
-- reconciliation removes states whose row is gone from the window it re-read.
ALTER TABLE agent_staged ADD COLUMN cursor INTEGER;
CREATE INDEX agent_staged_cursor ON agent_staged(source_id, cursor) WHERE cursor IS NOT NULL;
