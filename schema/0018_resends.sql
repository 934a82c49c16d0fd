-- 0018: results sent again to one target for a period of days ("send history"): the request,
-- written in the same transaction that queues its intervals and agent days, and the marks that
-- let its progress be counted (queued, sent, failed, remaining).
CREATE TABLE resends (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id      INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    from_day       TEXT NOT NULL,
    to_day         TEXT NOT NULL,
    contacts       INTEGER NOT NULL CHECK (contacts IN (0, 1)),
    agent_states   INTEGER NOT NULL CHECK (agent_states IN (0, 1)),
    intervals      INTEGER NOT NULL,
    agent_days     INTEGER NOT NULL,
    requested_by   TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX resends_target ON resends(target_id, id);

-- The resend that queued a (queue, interval) pair, if any: batches are packed per resend so
-- that their delivery can be counted.
ALTER TABLE outbox_cells ADD COLUMN resend_id INTEGER;
ALTER TABLE batches ADD COLUMN resend_id INTEGER;
CREATE INDEX batches_resend ON batches(resend_id) WHERE resend_id IS NOT NULL;

-- Agent days queued again for one target by a resend; packed by the uploader like the change
-- feed (their spans as they are then) and removed in the same transaction.
CREATE TABLE outbox_agent_days (
    target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    agent_id  INTEGER NOT NULL,
    day       TEXT NOT NULL,
    resend_id INTEGER NOT NULL,
    queued_at INTEGER NOT NULL,
    PRIMARY KEY (target_id, agent_id, day)
) WITHOUT ROWID;
