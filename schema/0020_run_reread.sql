-- 0020: a run may re-read its period: CSV files imported before are read again and the days
-- of the period they hold replace what was staged for them.
ALTER TABLE runs ADD COLUMN reread INTEGER NOT NULL DEFAULT 0 CHECK (reread IN (0, 1));
