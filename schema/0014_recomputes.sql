-- 0014: results that must be computed again. A change that alters results (a mapping, an
-- activity or agent mapping, a source's agent-state settings) records what to recompute in
-- the transaction that makes the change, and a mapping that fails during a run is recorded
-- with the run's days. The scheduler thread works them off (pipeline/recompute.c) and removes
-- each one once its results are written; a failure keeps it with its error and a later
-- next_at. gen grows with every new change of the same thing, so a recomputation only removes
-- the row it read.
CREATE TABLE recomputes (
    id         INTEGER PRIMARY KEY,
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
CREATE INDEX recomputes_next ON recomputes(next_at);

-- runs: how many mappings failed to compute (they stay due as recomputes)
ALTER TABLE runs ADD COLUMN failed_mappings INTEGER NOT NULL DEFAULT 0;
