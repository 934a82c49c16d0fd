-- 0035: the spans of an injixo-api target's agent days become its basis (target_agent_sent)
-- only when the batch that carries them is accepted: a batch records them in batch_agent_sent
-- when it is made, and the transaction that records its acceptance moves them over. A batch
-- refused for good leaves the basis as last accepted, so the next change of those days is
-- computed against what the target holds. target_agent_sent.batch_id names the batch that set
-- a row (NULL: set before this version), so an older batch accepted later (a retry by hand)
-- does not take a newer basis back.
ALTER TABLE target_agent_sent ADD COLUMN batch_id INTEGER;

CREATE TABLE batch_agent_sent (
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES wfm_agents(id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    spans    TEXT NOT NULL,
    PRIMARY KEY (batch_id, agent_id, day)
) WITHOUT ROWID;
