-- 0022: a run-log line may carry a message code and its parameters (JSON) beside its English
-- text, so the console can word it in the reader's language. Older lines have neither.
ALTER TABLE run_log ADD COLUMN code TEXT;
ALTER TABLE run_log ADD COLUMN params TEXT;
