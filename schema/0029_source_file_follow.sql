-- 0029: CSV agent-state sources that follow one growing file (settings.follow). A poller reads
-- the complete lines appended since its last poll; where it stopped is kept here and moves in
-- the transaction that stages what it read, so a crash at any point repeats a read at worst.

CREATE TABLE source_file_follow (
    source_id          INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    file               TEXT NOT NULL,    -- the file's name in the source folder
    file_id            TEXT,             -- the file read (device and inode, or volume and index)
    head_len           INTEGER NOT NULL DEFAULT 0, -- bytes at its start that head_hash covers
    head_hash          TEXT,             -- SHA-256 of them: the same file, not a rewritten one
    offset             INTEGER NOT NULL DEFAULT 0, -- bytes read: the end of the last whole line
    line               INTEGER NOT NULL DEFAULT 0, -- lines read
    size               INTEGER,          -- the file's size at the last poll
    polls              INTEGER NOT NULL DEFAULT 0,
    last_poll_at       INTEGER,
    last_rows          INTEGER NOT NULL DEFAULT 0,
    last_change_at     INTEGER,
    rows_read          INTEGER NOT NULL DEFAULT 0,
    rows_changed       INTEGER NOT NULL DEFAULT 0,
    last_rejected      INTEGER NOT NULL DEFAULT 0,
    rows_rejected      INTEGER NOT NULL DEFAULT 0,
    last_note          TEXT,             -- the last rejected line, or the last rotation note
    rotations          INTEGER NOT NULL DEFAULT 0,
    truncations        INTEGER NOT NULL DEFAULT 0,
    last_rotation_at   INTEGER,
    last_truncation_at INTEGER,
    last_error         TEXT,
    last_error_at      INTEGER,
    failing_since      INTEGER,
    next_reconcile_at  INTEGER,
    last_reconcile_run INTEGER
);
