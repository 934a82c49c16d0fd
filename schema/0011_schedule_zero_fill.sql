-- 0011: the zero-fill option on schedules: the runs a schedule queues carry it.
ALTER TABLE schedules ADD COLUMN zero_fill INTEGER NOT NULL DEFAULT 0 CHECK (zero_fill IN (0, 1));
