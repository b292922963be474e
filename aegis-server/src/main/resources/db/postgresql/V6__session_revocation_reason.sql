-- Why a session token was revoked (docs/API.md "Who may call what", docs/PROTOCOL.md §17.3), so
-- that its holder gets the answer it must act on:
--   agent_revoked  the agent was deactivated: 401 token_revoked (the agent stops)
--   replaced       a newer HTTP session of the agent (POST /api/v1/auth with ephemeral_key)
--                  replaced this one: 409 replaced (this instance stops)
--   key_rotated    the agent rotated its identity key: 401 unauthorized (authenticate again)
--   unused         a WebSocket session closed before its agent received the token
-- NULL for tokens that are not revoked, and for tokens revoked before this migration (they get
-- 401 unauthorized, as before).
ALTER TABLE agent_sessions ADD COLUMN revoked_reason VARCHAR(32);
