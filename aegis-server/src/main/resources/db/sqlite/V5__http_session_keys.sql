-- Record keys of HTTP sessions; see the PostgreSQL migration of the same version.
ALTER TABLE agent_sessions ADD COLUMN record_keys TEXT;
ALTER TABLE agent_sessions ADD COLUMN record_keys_key_id VARCHAR(16);
