-- 0006: schedules: when runs of a source start by themselves.
-- "every": every every_minutes minutes, offset_minutes after each interval boundary of the
-- source's local day, importing today (intraday); "daily": at daily_at (HH:MM, local to the
-- source) importing the previous days_back days.
CREATE TABLE schedules (
    id             INTEGER PRIMARY KEY,
    source_id      INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('every', 'daily')),
    every_minutes  INTEGER,
    offset_minutes INTEGER NOT NULL DEFAULT 0,
    daily_at       TEXT,
    days_back      INTEGER NOT NULL DEFAULT 1,
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    next_run_at    INTEGER,
    last_run_id    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK ((kind = 'every' AND every_minutes BETWEEN 5 AND 1440 AND daily_at IS NULL)
        OR (kind = 'daily' AND every_minutes IS NULL AND daily_at IS NOT NULL))
);
CREATE INDEX schedules_due ON schedules(enabled, next_run_at);
