-- 0003: sources: the ACD exports acdlink reads (a CSV folder or an ODBC query).
-- Kind-specific settings (folder, pattern, separator, column roles; DSN, SQL, user; derived
-- fields, row filter) are one JSON object validated by the API (pipeline/source_cfg.c); the
-- ODBC password is sealed (crypto/secret.h, bound to "sources/<id>/password") and never shown.
CREATE TABLE sources (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind             TEXT NOT NULL CHECK (kind IN ('csv', 'odbc')),
    product          TEXT NOT NULL CHECK (product IN ('contacts', 'agent_states')),
    layout           TEXT NOT NULL CHECK (layout IN ('interval', 'contact')),
    time_zone        TEXT NOT NULL,
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes IN (15, 30, 60)),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    settings         TEXT NOT NULL DEFAULT '{}',
    password_sealed  TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
