-- 0037: a count of the changes of the WFM queues, moved by triggers in the same transaction as
-- the change (whoever makes it: the daemon, the command line, a sqlite3 shell). The answers of
-- GET /api/v1/queues and /api/v1/queues/{id} read nothing else, so they stay valid while other
-- tables change (an import's commits), and are retired by the very commit that changes a queue.
CREATE TABLE change_counts (
    grp TEXT PRIMARY KEY,          -- the tables counted: 'wfm_queues'
    n   INTEGER NOT NULL           -- changes committed (rows inserted, updated or deleted)
) WITHOUT ROWID;
INSERT INTO change_counts (grp, n) VALUES ('wfm_queues', 0);
CREATE TRIGGER wfm_queues_counted_insert AFTER INSERT ON wfm_queues
BEGIN
    UPDATE change_counts SET n = n + 1 WHERE grp = 'wfm_queues';
END;
CREATE TRIGGER wfm_queues_counted_update AFTER UPDATE ON wfm_queues
BEGIN
    UPDATE change_counts SET n = n + 1 WHERE grp = 'wfm_queues';
END;
CREATE TRIGGER wfm_queues_counted_delete AFTER DELETE ON wfm_queues
BEGIN
    UPDATE change_counts SET n = n + 1 WHERE grp = 'wfm_queues';
END;
