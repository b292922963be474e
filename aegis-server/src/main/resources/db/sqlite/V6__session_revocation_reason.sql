-- Why a session token was revoked; see the PostgreSQL migration of the same version.
ALTER TABLE agent_sessions ADD COLUMN revoked_reason VARCHAR(32);
