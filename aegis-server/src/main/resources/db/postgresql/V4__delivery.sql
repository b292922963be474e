-- Reliable delivery on top of the seed's message_queue table (named by MESSAGE_QUEUE_TABLE).
-- The seed's columns keep their meaning: payload is the message as accepted (JSON), signature the
-- base64 Ed25519 command signature made once at acceptance, encrypted_payload and nonce the
-- record as last transmitted (empty until the first transmission), retry_count the
-- redeliveries so far, max_retries MESSAGE_RETRY_ATTEMPTS at acceptance.
-- Statuses: pending, sent, delivered, failed, expired, cancelled.

ALTER TABLE ${message_queue_table} ADD COLUMN message_id VARCHAR(128);
UPDATE ${message_queue_table} SET message_id = id::text WHERE message_id IS NULL;
ALTER TABLE ${message_queue_table} ALTER COLUMN message_id SET NOT NULL;
-- Per-agent FIFO order is the order of seq.
ALTER TABLE ${message_queue_table} ADD COLUMN seq BIGSERIAL;
ALTER TABLE ${message_queue_table} ADD COLUMN priority SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE ${message_queue_table} ADD COLUMN audience VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE ${message_queue_table} ADD COLUMN signer_key_id VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE ${message_queue_table} ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE ${message_queue_table} ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ${message_queue_table} ADD COLUMN sent_at TIMESTAMP;
ALTER TABLE ${message_queue_table} ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE ${message_queue_table} ADD COLUMN response TEXT;
ALTER TABLE ${message_queue_table} ADD COLUMN responded_at TIMESTAMP;
ALTER TABLE ${message_queue_table} ADD COLUMN error TEXT;
ALTER TABLE ${message_queue_table} ADD COLUMN broadcast BOOLEAN NOT NULL DEFAULT false;

CREATE UNIQUE INDEX idx_${message_queue_table}_agent_message ON ${message_queue_table}(agent_id, message_id);
CREATE INDEX idx_${message_queue_table}_message_id ON ${message_queue_table}(message_id);
-- The undelivered backlog of an agent, in delivery order.
CREATE INDEX idx_${message_queue_table}_backlog ON ${message_queue_table}(agent_id, priority, seq)
    WHERE status IN ('pending', 'sent');
CREATE INDEX idx_${message_queue_table}_undelivered_expiry ON ${message_queue_table}(expires_at)
    WHERE status IN ('pending', 'sent');

-- What each agent has been brought up to date with, so that reconnecting agents get exactly
-- the policy set and artifacts they missed while offline.
CREATE TABLE agent_sync_state (
    agent_id VARCHAR(255) PRIMARY KEY,
    policy_etag VARCHAR(128),
    artifact_cursor BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);
