-- 0009: staged values as one row per source, external queue and local day (a compact blob of
-- interval x metric values, see daemon/store/staged.h) instead of one row per value; external
-- queues and metric names get integer ids. Existing staged values are converted.

CREATE TABLE metric_names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO metric_names (name) SELECT DISTINCT metric FROM staged ORDER BY metric;

CREATE TABLE ext_queues_v2 (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_queue  TEXT NOT NULL,
    name       TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    UNIQUE (source_id, ext_queue)
);
INSERT INTO ext_queues_v2 (source_id, ext_queue, name, first_seen, last_seen)
    SELECT source_id, ext_queue, name, first_seen, last_seen FROM ext_queues
    ORDER BY source_id, ext_queue;
INSERT OR IGNORE INTO ext_queues_v2 (source_id, ext_queue, name, first_seen, last_seen)
    SELECT DISTINCT source_id, ext_queue, NULL, 0, 0 FROM staged;
DROP TABLE ext_queues;
ALTER TABLE ext_queues_v2 RENAME TO ext_queues;

-- The metrics each external queue has delivered (for the list of unmapped queues).
CREATE TABLE ext_queue_metrics (
    queue_id  INTEGER NOT NULL REFERENCES ext_queues(id) ON DELETE CASCADE,
    metric_id INTEGER NOT NULL REFERENCES metric_names(id),
    PRIMARY KEY (queue_id, metric_id)
) WITHOUT ROWID;
INSERT INTO ext_queue_metrics (queue_id, metric_id)
    SELECT DISTINCT e.id, m.id FROM staged s
    JOIN ext_queues e ON e.source_id = s.source_id AND e.ext_queue = s.ext_queue
    JOIN metric_names m ON m.name = s.metric;

-- vals: the day's grid (UTC start of the first interval, interval seconds, count) and, per
-- metric id, the values of the intervals that have one. Rows are ~1-3 KB: a rowid table keeps
-- them out of the key b-tree.
CREATE TABLE staged_days (
    id        INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    queue_id  INTEGER NOT NULL REFERENCES ext_queues(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    vals      BLOB NOT NULL,
    run_id    INTEGER NOT NULL,
    UNIQUE (source_id, queue_id, day)
);
CREATE INDEX staged_days_day ON staged_days(source_id, day);

INSERT INTO staged_days (source_id, queue_id, day, vals, run_id)
    SELECT source_id, queue_id, day, vals, run_id FROM (
        SELECT s.source_id AS source_id, e.id AS queue_id, s.day AS day,
               acdl_staged_pack(src.time_zone, src.interval_minutes, s.day, s.interval_start,
                                m.id, s.value) AS vals,
               max(s.run_id) AS run_id
        FROM staged s
        JOIN sources src ON src.id = s.source_id
        JOIN ext_queues e ON e.source_id = s.source_id AND e.ext_queue = s.ext_queue
        JOIN metric_names m ON m.name = s.metric
        GROUP BY s.source_id, e.id, s.day)
    WHERE vals IS NOT NULL
    ORDER BY source_id, queue_id, day;

DROP TABLE staged;
