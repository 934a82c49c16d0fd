-- 0015: every API token belongs to the user who made it (directly, or through a token of
-- theirs). A token acts with the lower of its own role and its owner's current one, and stops
-- when its owner is disabled or deleted (owner_id becomes NULL and stays NULL).
ALTER TABLE api_tokens ADD COLUMN owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL;

-- Tokens made in a session name their user.
UPDATE api_tokens SET owner_id = (SELECT u.id FROM users u WHERE u.name = api_tokens.created_by);
-- Tokens made with a token ("token:NAME") belong to the owner of the newest token of that name
-- made before them; twice, for a token made by a token made by a token. Any token left without
-- an owner stops working: its owner can no longer be told.
UPDATE api_tokens SET owner_id = (
    SELECT o.owner_id FROM api_tokens o
    WHERE 'token:' || o.name = api_tokens.created_by AND o.id < api_tokens.id
    ORDER BY o.id DESC LIMIT 1)
WHERE owner_id IS NULL AND created_by LIKE 'token:%';
UPDATE api_tokens SET owner_id = (
    SELECT o.owner_id FROM api_tokens o
    WHERE 'token:' || o.name = api_tokens.created_by AND o.id < api_tokens.id
    ORDER BY o.id DESC LIMIT 1)
WHERE owner_id IS NULL AND created_by LIKE 'token:%';

CREATE INDEX api_tokens_owner ON api_tokens(owner_id);
