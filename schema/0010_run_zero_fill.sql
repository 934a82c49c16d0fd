-- 0010: the zero-fill option of a run: intervals of the run's days without source data get 0
-- for the mappings fed by the source (see daemon/pipeline/import.h).
ALTER TABLE runs ADD COLUMN zero_fill INTEGER NOT NULL DEFAULT 0 CHECK (zero_fill IN (0, 1));
