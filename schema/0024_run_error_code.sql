-- 0024: a run's error may carry a message code and its parameters (JSON) beside its English
-- text, so the console can word it in the reader's language. Older runs have neither.
ALTER TABLE runs ADD COLUMN error_code TEXT;
ALTER TABLE runs ADD COLUMN error_params TEXT;
