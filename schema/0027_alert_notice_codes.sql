-- 0027: an alert notice keeps the message codes and parameters of its title and of its error
-- beside their English text, so the console words them in the reader's language (notices
-- recorded before keep their text only).
ALTER TABLE alert_notices ADD COLUMN title_code TEXT;
ALTER TABLE alert_notices ADD COLUMN title_params TEXT;
ALTER TABLE alert_notices ADD COLUMN error_code TEXT;
ALTER TABLE alert_notices ADD COLUMN error_params TEXT;
ALTER TABLE alert_channels ADD COLUMN last_error_code TEXT;
ALTER TABLE alert_channels ADD COLUMN last_error_params TEXT;
