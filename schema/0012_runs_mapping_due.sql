-- 0012: the days a run staged whose results are not computed yet. Set in the staging
-- transaction, cleared once every mapping of the source is computed for them; a run that
-- runs again after a crash computes them first (pipeline/mapping.c, mapping_apply_due).
ALTER TABLE runs ADD COLUMN map_from TEXT;
ALTER TABLE runs ADD COLUMN map_to TEXT;
