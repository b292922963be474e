-- The seed's three tables in SQLite's dialect: the same columns, defaults and indexes.
-- UUID and JSONB are TEXT; TIMESTAMP columns hold milliseconds since the epoch (UTC);
-- BOOLEAN is stored as 0/1. Table names honour MESSAGE_QUEUE_TABLE and CONNECTIONS_TABLE.

CREATE TABLE ${connections_table} (
    id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
    agent_id VARCHAR(255) NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    session_token VARCHAR(255) NOT NULL,
    connected_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    last_seen INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    is_active BOOLEAN NOT NULL DEFAULT 1,
    metadata TEXT,
    created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    updated_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
);

CREATE INDEX idx_${connections_table}_agent_id ON ${connections_table}(agent_id);
CREATE INDEX idx_${connections_table}_active ON ${connections_table}(is_active);

CREATE TABLE ${message_queue_table} (
    id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
    agent_id VARCHAR(255) NOT NULL,
    channel VARCHAR(255) NOT NULL,
    message_type VARCHAR(50) NOT NULL,
    payload TEXT NOT NULL,
    encrypted_payload TEXT NOT NULL,
    nonce TEXT NOT NULL,
    signature TEXT NOT NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    retry_count INTEGER NOT NULL DEFAULT 0,
    max_retries INTEGER NOT NULL DEFAULT 3,
    created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    processed_at INTEGER,
    expires_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER) + 3600000)
);

CREATE INDEX idx_${message_queue_table}_agent_id ON ${message_queue_table}(agent_id);
CREATE INDEX idx_${message_queue_table}_status ON ${message_queue_table}(status);
CREATE INDEX idx_${message_queue_table}_created_at ON ${message_queue_table}(created_at);

CREATE TABLE communication_channels (
    id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
    agent_id VARCHAR(255) NOT NULL,
    channel_name VARCHAR(255) NOT NULL,
    channel_type VARCHAR(50) NOT NULL, -- 'agent_to_backend' or 'backend_to_agent'
    is_active BOOLEAN NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    updated_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    UNIQUE(agent_id, channel_name)
);

CREATE INDEX idx_communication_channels_agent_id ON communication_channels(agent_id);
CREATE INDEX idx_communication_channels_type ON communication_channels(channel_type);
