-- 0021: a mapping whose form contradicts its value type (a total mapped to an average, an
-- average summed) is saved only when asked to; form_override records that it was.
ALTER TABLE mappings ADD COLUMN form_override INTEGER NOT NULL DEFAULT 0 CHECK (form_override IN (0, 1));
