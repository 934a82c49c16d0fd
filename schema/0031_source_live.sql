-- 0031: live-status agent-state sources (settings.live_status). A poll reads the whole table
-- (one row per agent: its current state and since when); what it saw last of each agent is kept
-- here and written in the transaction that stages the changes, so a crash repeats a poll at
-- worst and never stages a change twice or loses one the table still shows.

-- One row per agent that the source's table showed at the last poll that staged a change.
CREATE TABLE source_live (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_agent TEXT NOT NULL,
    code      TEXT NOT NULL,    -- the activity code its row gave (state, or state:reason)
    since     INTEGER,          -- the since column as a UTC instant; NULL: no since column
    start     INTEGER NOT NULL, -- the start of the state staged for it (UTC seconds)
    seen_at   INTEGER NOT NULL, -- the poll that staged it
    PRIMARY KEY (source_id, ext_agent)
) WITHOUT ROWID;
