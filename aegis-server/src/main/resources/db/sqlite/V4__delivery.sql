-- Reliable delivery on top of the seed's message_queue table (named by MESSAGE_QUEUE_TABLE).
-- See the PostgreSQL migration of the same version for the meaning of each column.
-- SQLite has no sequences: seq is assigned on insert as MAX(seq) + 1 by the single writer.

ALTER TABLE ${message_queue_table} ADD COLUMN message_id VARCHAR(128) NOT NULL DEFAULT '';
UPDATE ${message_queue_table} SET message_id = id WHERE message_id = '';
ALTER TABLE ${message_queue_table} ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ${message_queue_table} ADD COLUMN priority SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE ${message_queue_table} ADD COLUMN audience VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE ${message_queue_table} ADD COLUMN signer_key_id VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE ${message_queue_table} ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE ${message_queue_table} ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ${message_queue_table} ADD COLUMN sent_at INTEGER;
ALTER TABLE ${message_queue_table} ADD COLUMN delivered_at INTEGER;
ALTER TABLE ${message_queue_table} ADD COLUMN response TEXT;
ALTER TABLE ${message_queue_table} ADD COLUMN responded_at INTEGER;
ALTER TABLE ${message_queue_table} ADD COLUMN error TEXT;
ALTER TABLE ${message_queue_table} ADD COLUMN broadcast BOOLEAN NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX idx_${message_queue_table}_agent_message ON ${message_queue_table}(agent_id, message_id);
CREATE INDEX idx_${message_queue_table}_message_id ON ${message_queue_table}(message_id);
CREATE INDEX idx_${message_queue_table}_seq ON ${message_queue_table}(seq);
CREATE INDEX idx_${message_queue_table}_backlog ON ${message_queue_table}(agent_id, priority, seq)
    WHERE status IN ('pending', 'sent');
CREATE INDEX idx_${message_queue_table}_undelivered_expiry ON ${message_queue_table}(expires_at)
    WHERE status IN ('pending', 'sent');

CREATE TABLE agent_sync_state (
    agent_id VARCHAR(255) PRIMARY KEY,
    policy_etag VARCHAR(128),
    artifact_cursor INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
