-- 0019: alerts. Channels say where notices go (a webhook or e-mail; the bearer token or SMTP
-- password is sealed like other secrets), rules say which events go to which channel and how
-- often, states remember per rule and subject what was last seen and when the last notice went
-- out (the minimum interval, recovery notices), and notices keep what was sent and whether it
-- arrived. Ids are never reused (AUTOINCREMENT).
CREATE TABLE alert_channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('webhook', 'email')),
    enabled       INTEGER NOT NULL DEFAULT 1,
    settings      TEXT NOT NULL,
    secret_sealed TEXT,
    last_ok_at    INTEGER,
    last_error    TEXT,
    last_error_at INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE alert_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event        TEXT NOT NULL,
    channel_id   INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
    enabled      INTEGER NOT NULL DEFAULT 1,
    min_interval INTEGER NOT NULL DEFAULT 3600,
    recovery     INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (event, channel_id)
);

CREATE TABLE alert_states (
    rule_id        INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    active         INTEGER NOT NULL,
    occurrence     TEXT NOT NULL,
    notified       INTEGER NOT NULL DEFAULT 0,
    last_notice_at INTEGER NOT NULL DEFAULT 0,
    suppressed     INTEGER NOT NULL DEFAULT 0,
    since          INTEGER NOT NULL,
    PRIMARY KEY (rule_id, subject)
);

CREATE TABLE alert_notices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER REFERENCES alert_channels(id) ON DELETE SET NULL,
    rule_id    INTEGER REFERENCES alert_rules(id) ON DELETE SET NULL,
    event      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('firing', 'resolved', 'test')),
    title      TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    error      TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_notices_channel ON alert_notices(channel_id);
