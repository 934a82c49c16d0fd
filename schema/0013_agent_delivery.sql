-- 0013: how far each target has read the change feed of agent-state results (agent_days
-- change_seq): its batches and the new position are written in one transaction.
CREATE TABLE target_agent_cursors (
    target_id INTEGER PRIMARY KEY REFERENCES targets(id) ON DELETE CASCADE,
    last_seq  INTEGER NOT NULL
);
