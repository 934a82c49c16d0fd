-- 0025: a delivery's error keeps its message code and parameters beside its English text, so
-- the console words it in the reader's language (rows written before keep their text only).
ALTER TABLE batches ADD COLUMN last_error_code TEXT;
ALTER TABLE batches ADD COLUMN last_error_params TEXT;
ALTER TABLE batch_attempts ADD COLUMN error_code TEXT;
ALTER TABLE batch_attempts ADD COLUMN error_params TEXT;
