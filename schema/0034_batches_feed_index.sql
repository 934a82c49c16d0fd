-- 0034: whether a target's agent-state feed waits (a feed batch undelivered, or one made in the
-- present period) is read from this index alone: read from the table, resend_id lies after the
-- body, and every uploader round walked the overflow pages of the newest batches' bodies.
CREATE INDEX batches_feed ON batches(target_id, kind, id, state, resend_id, created_at);
