-- 0036: the reconciliation of a live-status source from its history query
-- (settings.live_status.history_sql): what the last one corrected, shown with the polls.
ALTER TABLE source_follow ADD COLUMN reconcile_at INTEGER;       -- when it committed
ALTER TABLE source_follow ADD COLUMN reconcile_rows INTEGER;     -- history rows read
ALTER TABLE source_follow ADD COLUMN reconcile_added INTEGER;    -- states the polls had missed
ALTER TABLE source_follow ADD COLUMN reconcile_changed INTEGER;  -- states the polls had wrong
ALTER TABLE source_follow ADD COLUMN reconcile_removed INTEGER;  -- states the history lacks
ALTER TABLE source_follow ADD COLUMN reconcile_kept INTEGER;     -- newer than its newest row
ALTER TABLE source_follow ADD COLUMN reconcile_newest INTEGER;   -- its newest start (UTC)
