-- 0038: which external agents have staged states on which local day, one row per agent and day,
-- instead of the index agent_staged_day over every staged state. The readers by day (an ODBC
-- run replacing its days, a followed run's states gone from its window, the newest staged day)
-- find a day's agents here and their states by primary key; a staging writes a row per agent
-- day instead of an index entry per state. A row may outlive its states (removed later): the
-- readers look the states up, so it only costs a lookup.
CREATE TABLE agent_staged_days (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    ext_agent TEXT NOT NULL,
    PRIMARY KEY (source_id, day, ext_agent)
) WITHOUT ROWID;
INSERT INTO agent_staged_days (source_id, day, ext_agent)
    SELECT DISTINCT source_id, day, ext_agent FROM agent_staged;
DROP INDEX agent_staged_day;
