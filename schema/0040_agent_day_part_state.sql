-- 0040: what a change needs to begin at a part of an agent day's list (0039) without reading
-- the parts before it: the start of the part's first span, how many spans of the day come
-- before it, and the state of the day's digest (agent_days.digest: FNV-1a over the lines
-- "start,end,identifier\n") after those spans, its 64 bits as a signed integer. The digest
-- itself is unchanged, so no day differs from before and nothing is delivered again. Parts
-- written before have NULL here: a change to such a day reads it whole once and writes all of
-- its parts again with their state (the same lists).
ALTER TABLE agent_day_parts ADD COLUMN first_start INTEGER;
ALTER TABLE agent_day_parts ADD COLUMN spans_before INTEGER;
ALTER TABLE agent_day_parts ADD COLUMN digest_before INTEGER;
