-- 0002: the WFM catalogue: the queues the WFM plans and the value types it accepts per
-- interval.

-- The WFM side: queues the WFM plans, and the value types it accepts per interval.
CREATE TABLE wfm_queues (
    id               INTEGER PRIMARY KEY,
    identifier       TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('calls', 'chats', 'emails', 'messages',
                                                      'social', 'tasks', 'other')),
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes IN (15, 30, 60)),
    time_zone        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- How several inputs combine when no formula is given: sum, or an average weighted by another
-- value type of the same queue and interval (AHT by handled calls, ASA by handled calls,
-- service level by offered contacts).
CREATE TABLE value_types (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    unit      TEXT NOT NULL CHECK (unit IN ('count', 'seconds', 'percent', 'number')),
    combine   TEXT NOT NULL CHECK (combine IN ('sum', 'weighted')),
    weight_key TEXT,
    builtin   INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    CHECK ((combine = 'weighted') = (weight_key IS NOT NULL))
);
INSERT INTO value_types (key, name, unit, combine, weight_key, builtin) VALUES
    ('offered', 'Offered contacts', 'count', 'sum', NULL, 1),
    ('handled', 'Handled contacts', 'count', 'sum', NULL, 1),
    ('abandoned', 'Abandoned contacts', 'count', 'sum', NULL, 1),
    ('aht', 'Average handle time', 'seconds', 'weighted', 'handled', 1),
    ('handle_time', 'Total handle time', 'seconds', 'sum', NULL, 1),
    ('asa', 'Average speed of answer', 'seconds', 'weighted', 'handled', 1),
    ('service_level', 'Service level', 'percent', 'weighted', 'offered', 1);
