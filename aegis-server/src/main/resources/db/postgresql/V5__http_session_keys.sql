-- Record keys of HTTP sessions (docs/PROTOCOL.md §16.1): a session token issued by
-- POST /api/v1/auth with an ephemeral_key carries the session's c_ap, s_ap and session_id,
-- sealed (ChaCha20-Poly1305) under a key every node derives from the backend identity key.
-- record_keys: base64 of nonce(12) ‖ ciphertext ‖ tag; record_keys_key_id: hex key id of the
-- backend key whose derived key sealed it. Both NULL for sessions without record keys
-- (WebSocket sessions, and POST /api/v1/auth without ephemeral_key).
ALTER TABLE agent_sessions ADD COLUMN record_keys TEXT;
ALTER TABLE agent_sessions ADD COLUMN record_keys_key_id VARCHAR(16);
