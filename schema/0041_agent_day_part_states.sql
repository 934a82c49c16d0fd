-- 0041: the states of a day's list parts (0040) in an index of their own, so that a part day's
-- delivery reads them (a few dozen bytes a part, many parts a page) without reading every
-- part's page with its list.
CREATE INDEX agent_day_parts_state ON agent_day_parts(agent_id, day, part, first_start,
    spans_before, digest_before);
