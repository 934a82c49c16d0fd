-- 0032: CSV agent-state sources reading Asterisk's queue_log file (csv.preset
-- asterisk_queue_log_states). Its lines are kept here, per source, so that the preset's SQL
-- (the same text the queue_log table preset runs in the ACD's database) can look back at an
-- agent's earlier events when later lines arrive. Written in the transaction that stages the
-- states derived from them; lines older than 8 days are dropped there.
CREATE TABLE queue_log_lines (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    time      INTEGER NOT NULL,           -- Unix seconds, as the file writes them
    callid    TEXT NOT NULL DEFAULT '',
    queuename TEXT NOT NULL DEFAULT '',
    agent     TEXT NOT NULL DEFAULT '',
    event     TEXT NOT NULL DEFAULT '',
    data1     TEXT NOT NULL DEFAULT '',
    data2     TEXT NOT NULL DEFAULT '',
    data3     TEXT NOT NULL DEFAULT '',
    data4     TEXT NOT NULL DEFAULT '',
    data5     TEXT NOT NULL DEFAULT '',
    UNIQUE (source_id, agent, time, event, queuename, callid, data1, data2, data3, data4, data5)
);
