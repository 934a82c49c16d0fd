-- 0033: the backlog (GET /api/v1/backlog, the console's delivery figures) counts the batches by
-- state from this index alone: read from the table, each row's state and times lie after its
-- body, and SQLite walked the overflow pages of every body (a day's csv-export is ~100 MB).
CREATE INDEX batches_backlog ON batches(target_id, state, created_at, acked_at);
