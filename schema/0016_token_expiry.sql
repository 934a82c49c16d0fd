-- 0016: an API token may stop working at a set time (NULL: it works until it is revoked).
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
