-- 0039: the span list of an agent day (0028) moves out of its agent_days row into parts of a
-- few hundred bytes, one row each, numbered from 0 in start order; their lists joined are the
-- day's list. A change from a time on rewrites only the part holding that time and those
-- after it, and the agent_days row stays small (a list of a long day had spilled out of its
-- page, and every change rewrote all of it). A day without spans has no part.
CREATE TABLE agent_day_parts (
    agent_id INTEGER NOT NULL REFERENCES wfm_agents(id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    part     INTEGER NOT NULL,
    list     TEXT NOT NULL,
    PRIMARY KEY (agent_id, day, part)
) WITHOUT ROWID;
INSERT INTO agent_day_parts (agent_id, day, part, list)
    SELECT agent_id, day, 0, span_list FROM agent_days WHERE span_list <> '';
ALTER TABLE agent_days DROP COLUMN span_list;
