-- 0028: the spans of an agent day are kept in its agent_days row as one list instead of a row
-- each in agent_spans: a day is written with one statement and read with one lookup. A line
-- per span, in start order: "start,end,activity_id,source_id,bytes:code" and a newline; end
-- empty while the span is still going, source_id 0 and bytes 0 for a filled hole, bytes the
-- length of the code in bytes (a code may hold any character).
ALTER TABLE agent_days ADD COLUMN span_list TEXT NOT NULL DEFAULT '';
UPDATE agent_days SET span_list = coalesce((SELECT group_concat(line, '') FROM (SELECT
    printf('%d,%s,%d,%d,%d:%s', p.start, coalesce(p.end, ''), p.activity_id,
           coalesce(p.source_id, 0), length(CAST(coalesce(p.code, '') AS BLOB)),
           coalesce(p.code, '')) || char(10) AS line
    FROM agent_spans p WHERE p.agent_id = agent_days.agent_id AND p.day = agent_days.day
    ORDER BY p.start)), '');
DROP TABLE agent_spans;
