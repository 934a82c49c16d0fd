-- 0017: large imports are staged in short transactions. A run's spilled days go to
-- staging_pending in slices; one short transaction then switches the run in (committed = 1,
-- together with its files marked imported and its days due for mapping), and the pending days
-- are merged into staged_days slice by slice. A switch that is committed is finished by
-- whoever finds it (the run itself, the next run of the source, the scheduler after a restart
-- or a failure); one that is not is the remains of a failed or killed run and is removed.
CREATE TABLE staging_switches (
    run_id       INTEGER PRIMARY KEY, -- the run (kept while its switch is unfinished)
    source_id    INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    replace_from TEXT, -- ODBC: the days the run replaces whole (both NULL: merge key by key)
    replace_to   TEXT,
    committed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX staging_switches_source ON staging_switches(source_id);

CREATE TABLE staging_pending (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES staging_switches(run_id) ON DELETE CASCADE,
    queue_id INTEGER NOT NULL REFERENCES ext_queues(id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    vals     BLOB NOT NULL
);
CREATE INDEX staging_pending_run ON staging_pending(run_id, id);
