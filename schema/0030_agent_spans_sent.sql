-- 0030: per target, agent and day, the spans the change feed last gave a target that keeps spans
-- by agent and start (injixo-api), so a change sends only the spans that differ from them. One
-- row per agent day, written in the transaction that writes the batch.
CREATE TABLE target_agent_sent (
    target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    agent_id  INTEGER NOT NULL REFERENCES wfm_agents(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    spans     TEXT NOT NULL,
    PRIMARY KEY (target_id, agent_id, day)
) WITHOUT ROWID;
