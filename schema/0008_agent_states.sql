-- 0008: agent states: WFM activities and agents, the external activity codes and agent ids the
-- sources have shown (with their mapping), staged states per source, and the resulting spans
-- per WFM agent and local day.

-- Two activities are built in: "present" takes every external code that is not mapped, and
-- "logged_out" fills the holes between states (both can be renamed, not deleted).
CREATE TABLE wfm_activities (
    id         INTEGER PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    builtin    TEXT UNIQUE CHECK (builtin IN ('present', 'logged_out')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO wfm_activities (identifier, name, builtin, created_at, updated_at) VALUES
    ('present', 'Present', 'present', 0, 0),
    ('logged_out', 'Logged out', 'logged_out', 0, 0);

-- External activity codes of a source. activity_id NULL: not mapped (counts as present).
-- first_seen NULL: mapped before any import showed it. count: staged states with the code.
CREATE TABLE activity_codes (
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    name        TEXT,
    activity_id INTEGER REFERENCES wfm_activities(id) ON DELETE SET NULL,
    first_seen  INTEGER,
    last_seen   INTEGER,
    count       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, code)
) WITHOUT ROWID;

-- The WFM's agents (identifier: what the WFM knows them by, e.g. an e-mail address).
CREATE TABLE wfm_agents (
    id         INTEGER PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    name       TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- External agent ids of a source (text: leading zeros and case matter). One external id
-- belongs to at most one WFM agent; a WFM agent may have several. agent_id NULL: unknown.
CREATE TABLE agent_ids (
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_agent  TEXT NOT NULL,
    agent_id   INTEGER REFERENCES wfm_agents(id) ON DELETE SET NULL,
    first_seen INTEGER,
    last_seen  INTEGER,
    count      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, ext_agent)
) WITHOUT ROWID;
CREATE INDEX agent_ids_agent ON agent_ids(agent_id);

-- States as the source delivered them, whether the agent is known or not (mapping an agent
-- later needs no new read of the source). start and end are UTC seconds; end NULL means
-- "until the agent's next state" (start-only sources) or still going. day is the local day
-- of start in the source's time zone: the unit that a re-import replaces.
CREATE TABLE agent_staged (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ext_agent TEXT NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER,
    day       TEXT NOT NULL,
    code      TEXT NOT NULL,
    run_id    INTEGER NOT NULL,
    file      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    PRIMARY KEY (source_id, ext_agent, start)
) WITHOUT ROWID;
CREATE INDEX agent_staged_day ON agent_staged(source_id, day);

-- What the WFM should hold: per WFM agent and local day, spans that neither overlap nor leave
-- holes between the day's first state and the end of its last. end NULL: still going.
-- source_id/code name the external state a span came from (NULL for filled holes).
CREATE TABLE agent_spans (
    agent_id    INTEGER NOT NULL REFERENCES wfm_agents(id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    start       INTEGER NOT NULL,
    end         INTEGER,
    activity_id INTEGER NOT NULL REFERENCES wfm_activities(id) ON DELETE CASCADE,
    source_id   INTEGER,
    code        TEXT,
    PRIMARY KEY (agent_id, day, start)
) WITHOUT ROWID;

-- One row per WFM agent and day that has (or had) spans: a digest of the spans, and a change
-- sequence number that grows whenever the day's spans change (the delivery reads the days
-- with change_seq above the last one it sent).
CREATE TABLE agent_days (
    agent_id   INTEGER NOT NULL REFERENCES wfm_agents(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    spans      INTEGER NOT NULL,
    open       INTEGER NOT NULL CHECK (open IN (0, 1)),
    change_seq INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, day)
) WITHOUT ROWID;
CREATE INDEX agent_days_change ON agent_days(change_seq);
