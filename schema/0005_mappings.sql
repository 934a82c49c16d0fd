-- 0005: mappings from external queues and metrics to WFM queues and value types, and the
-- results they compute.

-- A mapping computes one value type of one WFM queue from ordered inputs (source, external
-- queue, metric) = p1 .. pn; formula NULL means the value type's default (sum, or the
-- weighted average for AHT-like types).
CREATE TABLE mappings (
    id            INTEGER PRIMARY KEY,
    queue_id      INTEGER NOT NULL REFERENCES wfm_queues(id) ON DELETE CASCADE,
    value_type_id INTEGER NOT NULL REFERENCES value_types(id) ON DELETE RESTRICT,
    formula       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (queue_id, value_type_id)
);

CREATE TABLE mapping_inputs (
    mapping_id INTEGER NOT NULL REFERENCES mappings(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_queue  TEXT NOT NULL,
    metric     TEXT NOT NULL,
    PRIMARY KEY (mapping_id, position)
) WITHOUT ROWID;
CREATE INDEX mapping_inputs_source ON mapping_inputs(source_id, ext_queue, metric);

-- What the WFM should hold, per queue, value type and interval (UTC start).
CREATE TABLE results (
    queue_id       INTEGER NOT NULL REFERENCES wfm_queues(id) ON DELETE CASCADE,
    value_type_id  INTEGER NOT NULL REFERENCES value_types(id) ON DELETE CASCADE,
    interval_start INTEGER NOT NULL,
    value          REAL NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (queue_id, value_type_id, interval_start)
) WITHOUT ROWID;
